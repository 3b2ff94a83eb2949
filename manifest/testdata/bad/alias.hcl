project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
}

function "a" {
  source = "functions/orders-api"
  alias  = "$LATEST"  # ERROR
}

function "b" {
  source = "functions/orders-api"
  alias  = "42"  # ERROR
}

function "c" {
  source = "functions/orders-api"
  alias  = "release/1.2"  # ERROR
}
