# --env prod
variable "env" { default = "qa" }

project {
  name = "shop"
  state_bucket_owner = "12345"   # ERROR not an account
}

environment "qa" {
  state     = "s3://shop-lambdas/qa/state.json"
  variables = { env = "qa" }
  release { branch = "main" }
}

environment "prod" {
  state         = "s3:/shop-lambdas/prod/state.json"   # ERROR not a URL
  state_kms_key = ""                                   # ERROR empty
  variables     = { env = "prod", colour = "blue" }    # ERROR undeclared variable
  release {                                            # ERROR both
    branch = "main"
    tag    = "v*"
  }
}

environment "qa" {   # ERROR duplicate
}

function "api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}
