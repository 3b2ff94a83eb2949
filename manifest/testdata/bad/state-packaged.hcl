# The state file would be zipped with a function that packages its folder.
project {
  name  = "shop"
  state = "functions/orders-api/state.json"  # ERROR in two functions
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
}

function "orders-api" {
  source = "functions/orders-api"
}

function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  bundle {
    from = "functions/orders-api"
    to   = "orders"
  }
}
