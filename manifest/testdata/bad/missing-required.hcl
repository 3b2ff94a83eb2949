project {  # ERROR no name
  region = "eu-west-1"
}

function "orders-api" {  # ERROR no source, runtime or handler
  architecture = "arm64"
}
