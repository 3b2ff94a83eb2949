# env HOME_REGION=eu-west-1
project {
  name   = "shop"
  region = env("HOME_REGION")
}

function "orders-api" {
  function_name = "orders-api-${env("STAGE")}"  # ERROR
  source        = "functions/orders-api"
  runtime       = env("RUNTIME", "python3.12")
  handler       = "app.handler"
}
