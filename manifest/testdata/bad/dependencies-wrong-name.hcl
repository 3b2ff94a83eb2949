project {
  name = "shop"
}

function "orders-api" {
  source       = "functions/orders-api"
  runtime      = "python3.12"
  handler      = "app.handler"
  dependencies = "functions/web/package.json"  # ERROR
}

function "web" {
  source       = "functions/web"
  runtime      = "nodejs22.x"
  handler      = "index.handler"
  dependencies = "functions/web/package.json.bak"  # ERROR
}

function "go-fn" {
  source       = "functions/go-fn"
  runtime      = "provided.al2023"
  handler      = "bootstrap"
  dependencies = "functions/orders-api/requirements.txt"  # ERROR
}
