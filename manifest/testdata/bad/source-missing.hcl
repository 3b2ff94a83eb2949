project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-apii"  # ERROR
  runtime = "python3.12"
  handler = "app.handler"
}

function "billing" {
  source  = "functions/billing"  # ERROR
  runtime = "python3.12"
  handler = "app.handler"
}
