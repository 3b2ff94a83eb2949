project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  create {
    role        = file("../outside/role-arn.txt")  # ERROR
    environment = { VERSION = file("config/versoin.txt") }  # ERROR
  }
}
