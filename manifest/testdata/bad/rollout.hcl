project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  source  = "functions/orders-api"
}

function "preset-with-interval" {
  deploy {
    strategy = "Canary10Percent5Minutes"
    interval = "1m"  # ERROR
  }
}

function "step-and-steps" {
  deploy {
    strategy = "linear"
    step     = 10  # ERROR
    steps    = [50, 100]
    interval = "1m"
  }
}

function "step-on-canary" {
  deploy {
    strategy = "canary"
    step     = 10  # ERROR
    interval = "1m"
  }
}

function "step-out-of-range" {
  deploy {
    strategy = "linear"
    step     = 100  # ERROR
    interval = "1m"
  }
}

function "smoke-bad" {
  deploy {
    smoke_test {
      payload = "{not json"  # ERROR
      expect  = "status(" # ERROR
    }
  }
}

function "smoke-missing-payload" {
  deploy {
    smoke_test {  # ERROR
      expect = "ok"
    }
  }
}

function "group-a" {
  rollout_group = "checkout"
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
  }
}

function "group-b" {
  rollout_group = "checkout"  # ERROR
  deploy {
    strategy = "canary"
    steps    = [10, 50, 100]
    interval = "5m"
  }
}

function "group-name" {
  rollout_group = "no spaces"  # ERROR
}
