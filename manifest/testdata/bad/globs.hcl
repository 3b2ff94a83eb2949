project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  include = [
    "**/*.py",
    "src/[a-z.py",  # ERROR
    "/abs/**",  # ERROR
    "../libs/**",  # ERROR
  ]
}
