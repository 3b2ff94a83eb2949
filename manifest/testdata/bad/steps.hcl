project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  source  = "functions/orders-api"
}

function "not-rising" {
  deploy {
    strategy = "linear"
    steps    = [10, 50, 30, 100]  # ERROR
    interval = "5m"
  }
}

function "not-ending-at-100" {
  deploy {
    strategy = "canary"
    steps    = [10, 50]  # ERROR
    interval = "5m"
  }
}

function "out-of-range" {
  deploy {
    strategy = "canary"
    steps    = [0, 150]  # ERROR
    interval = "5m"
  }
}

function "missing" {
  deploy {
    strategy = "canary"  # ERROR no steps
    interval = "5m"
  }
}

function "all-at-once" {
  deploy {
    steps = [50, 100]  # ERROR
  }
}

function "only-100" {
  deploy {
    strategy = "canary"
    steps    = [100]  # ERROR
    interval = "5m"
  }
}
