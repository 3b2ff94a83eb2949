project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}

function "orders-api" {  # ERROR
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
}
