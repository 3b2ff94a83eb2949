project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  source  = "functions/orders-api"
}

function "words" {
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5 minutes"  # ERROR
  }
}

function "no-unit" {
  deploy {
    strategy = "linear"
    steps    = [50, 100]
    interval = 300  # ERROR
  }
}

function "zero" {
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "0s"  # ERROR
  }
}

function "missing" {
  deploy {
    strategy = "canary"  # ERROR no interval
    steps    = [10, 100]
  }
}
