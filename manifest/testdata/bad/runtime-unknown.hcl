project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "pyton3.12"  # ERROR
  handler = "app.handler"
}

function "web" {
  source  = "functions/web"
  runtime = "node22"  # ERROR
  handler = "index.handler"
}

function "reports" {
  source  = "functions/orders-api"
  runtime = "java21"  # ERROR
  handler = "app.handler"
}
