project {
  name = "shop"
}

function "orders-api" {
  source  "functions/orders-api"  # ERROR
  runtime = "python3.12"
  handler = "app.handler"
}
