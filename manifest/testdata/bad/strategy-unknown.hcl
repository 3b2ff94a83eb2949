project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  deploy {
    strategy = "Canary10Percent"  # ERROR
  }
}

function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  deploy {
    strategy = "blue-green"  # ERROR
  }
}
