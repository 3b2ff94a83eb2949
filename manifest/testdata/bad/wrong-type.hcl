project {
  name           = "shop"
  api_rate_limit = "fast"  # ERROR
}

function "orders-api" {
  source  = ["functions/orders-api"]  # ERROR
  runtime = "python3.12"
  handler = "app.handler"
  include = 3  # ERROR
  exclude = ["tests/**", 7, null]  # ERROR null
  watch   = { path = "libs" }  # ERROR
  deploy {
    strategy = "canary"
    steps    = ["ten", 100]  # ERROR
    interval = "5m"
  }
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    memory      = "lots"  # ERROR
    environment = ["LOG_LEVEL=info"]  # ERROR
  }
}
