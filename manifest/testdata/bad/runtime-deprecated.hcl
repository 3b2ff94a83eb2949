project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.8"  # ERROR
  handler = "app.handler"
}

function "web" {
  source  = "functions/web"
  runtime = "nodejs16.x"  # ERROR
  handler = "index.handler"
}

function "go-fn" {
  source  = "functions/go-fn"
  runtime = "go1.x"  # ERROR
  handler = "bootstrap"
}
