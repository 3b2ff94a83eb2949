project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  source  = "functions/orders-api"
}

function "no-role" {
  create {  # ERROR
    memory = 256
  }
}

function "bad-values" {
  create {
    role        = "lambda-exec"  # ERROR
    memory      = 64  # ERROR
    timeout     = 1000  # ERROR
    environment = {
      AWS_REGION = "eu-west-1"  # ERROR
      "bad-name" = "x"  # ERROR
    }
  }
}

function "big-env" {
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    environment = { BLOB = format("%04100d", 0) }  # ERROR
  }
}
