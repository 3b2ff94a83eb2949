project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  source  = "functions/orders-api"
}

function "too-many" {
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
    alarms   = ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11"]  # ERROR
  }
}

function "empty-name" {
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
    alarms   = ["orders-5xx", ""]  # ERROR
  }
}
