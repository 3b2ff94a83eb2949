variable "memory" {
  default = "lots"
}

locals {
  names = [for n in ["a", "b"] : upper(n)]
}

project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  alias   = lowercase("LIVE")  # ERROR
  create {
    role   = "arn:aws:iam::123456789012:role/lambda"
    memory = var.memory * 2  # ERROR
    environment = {
      NAMES = local.names  # ERROR
    }
  }
}
