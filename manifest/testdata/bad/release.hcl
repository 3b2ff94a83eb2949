project {
  name = "shop"
  release {   # ERROR neither branch nor tag
  }
}

environment "Prod" {   # ERROR invalid name
}

environment "prod" {
  release {
    tag = "refs/tags/v*"   # ERROR refs/
  }
}

environment "qa" {
  release {
    branch = "main"
    commit = "abc"   # ERROR unknown argument
  }
}

function "api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}
