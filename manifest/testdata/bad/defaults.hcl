project {
  name = "shop"
}

defaults {
  function_name = "same-for-all"  # ERROR
  runtime       = "python3.9"  # ERROR reported once, not once per function
  handler       = "app.handler"
}

defaults {  # ERROR
  architecture = "arm64"
}

function "a" {
  source = "functions/orders-api"
}

function "b" {
  source = "functions/orders-api"
}
