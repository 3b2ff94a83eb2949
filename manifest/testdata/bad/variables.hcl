# --var regoin=eu-west-1
# --var-file prod.vars
variable "stage" {}  # ERROR no value

variable "region" {
  default = "eu-west-1"
}

variable "region" {  # ERROR
  default = "us-east-1"
}

variable "suffix" {
  default = var.region  # ERROR
}

project {
  name   = "shop-${var.stage}"
  region = var.regoin  # ERROR
}

function "orders-api" {
  function_name = "orders-api-${stage}"  # ERROR
  source        = "functions/orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
}
