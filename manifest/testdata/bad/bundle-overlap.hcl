# Two bundles that land on one path of the zip, or one inside the other:
# both are named, with where they are.
project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  bundle {
    from = "libs/shared-py"
    to   = "shared"
  }
}

function "orders-api" {
  source = "functions/orders-api"
  bundle {
    from = "config"
    to   = "shared/"  # ERROR the same as the defaults' bundle, once cleaned
  }
}

function "billing" {
  source          = "functions/orders-api"
  function_name   = "billing"
  default_bundles = false
  bundle {
    from = "libs/shared-py"
    to   = "lib"
  }
  bundle {
    from = "config/version.txt"
    to   = "lib/version.txt"  # ERROR inside lib
  }
}
