# --env prdo
project {
  name = "shop"
}

environment "qa" {}
environment "prod" {}

function "api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}
