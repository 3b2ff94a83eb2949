project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}

function "orders-api-v2" {
  function_name = "orders-api"  # ERROR same Lambda function as above
  source        = "functions/orders-api"
  runtime       = "python3.13"
  handler       = "app.handler"
}
