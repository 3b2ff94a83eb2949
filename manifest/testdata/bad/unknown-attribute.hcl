project {
  name   = "shop"
  bucket = "shop-artifacts"  # ERROR
}

function "orders-api" {
  source  = "functions/orders-api"
  runtme  = "python3.12"  # ERROR
  handler = "app.handler"
  memory  = 256  # ERROR belongs in create

  deplyo {  # ERROR
    strategy = "canary"
  }
  create {
    role = "arn:aws:iam::123456789012:role/lambda"
    tags = { team = "orders" }  # ERROR
  }
}

output "x" {  # ERROR
}
