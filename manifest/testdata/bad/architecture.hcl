project {
  name = "shop"
}

function "orders-api" {
  source       = "functions/orders-api"
  runtime      = "python3.12"
  handler      = "app.handler"
  architecture = "amd64"  # ERROR
}

function "web" {
  source       = "functions/web"
  runtime      = "nodejs22.x"
  handler      = "index.handler"
  architecture = "arm"  # ERROR
}

function "cron" {
  source       = "functions/cron"
  runtime      = "nodejs22.x"
  handler      = "index.handler"
  architecture = "risc-v"  # ERROR
}
