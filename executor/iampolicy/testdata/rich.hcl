# Every kind of resource the policy grants: artifacts under a prefix, S3
# state, a function with a create block, dependencies (layers), alarms.
project {
  name      = "shop.eu"
  region    = "eu-west-1"
  artifacts = "s3://shop-artifacts/releases"
  state     = "s3://shop-state/lambdas/state.json"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  alias   = "live"
}

function "orders-api" {
  function_name = "prod-orders-api"
  source        = "functions/orders-api"
  dependencies  = "functions/orders-api/requirements.txt"
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
    alarms   = ["orders-5xx", "orders-latency"]
  }
}

function "web" {
  function_name = "prod-web"
  source        = "functions/web"
  runtime       = "nodejs22.x"
  handler       = "index.handler"
  create {
    role = "arn:aws:iam::123456789012:role/web-exec"
  }
}
