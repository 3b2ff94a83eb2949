# A manifest with many mistakes at once: all are reported in one run.
variable "stage" {
  default = "qa"
}

project {
  name      = "shop"
  region    = "eu-west1"  # ERROR
  artifacts = "s3:/shop-artifacts"  # ERROR
}

defaults {
  runtime      = "python3.12"
  architecture = "arm64"
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
  }
}

function "orders-api" {
  function_name = "${var.stage}-orders-api"
  source        = "functions/orders-api"
  handler       = "app.handler"
  dependencies  = "functions/orders-api/requirements.txt"
  deploy {
    steps = [25, 50]  # ERROR
  }
}

function "web" {
  function_name = "${var.stage}-orders-api"  # ERROR
  source        = "functions/webb"  # ERROR
  runtime       = "nodejs18.x"  # ERROR
  handler       = "index"  # ERROR
  alias         = "$LATEST"  # ERROR
}

function "cron" {
  source       = "functions/cron"
  runtime      = "nodejs22.x"
  architecture = "x86"  # ERROR
  handler      = "index.handler"
  timeout      = 30  # ERROR belongs in create
  deploy {
    strategy = "linear"
    interval = "1 hour"  # ERROR
    alarms   = "cron-errors"  # ERROR
  }
}
