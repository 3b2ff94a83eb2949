project {
  name = "shop   # ERROR the string is never closed
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}
