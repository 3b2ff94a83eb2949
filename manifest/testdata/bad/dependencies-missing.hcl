project {
  name = "shop"
}

function "orders-api" {
  source       = "functions/orders-api"
  runtime      = "python3.12"
  handler      = "app.handler"
  dependencies = "functions/orders-api/requirement.txt"  # ERROR
}

function "web" {
  source       = "functions/web"
  runtime      = "nodejs22.x"
  handler      = "index.handler"
  dependencies = "functions/web"  # ERROR a folder
}
