# Where a bundle comes from and where it lands must be sensible paths.
project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  bundle {
    from = "libs/shared-pyy"  # ERROR not found
    to   = "../shared"  # ERROR goes up
  }
  bundle {
    from = "functions/orders-api/tests"  # ERROR already in the source
    to   = "/tests"  # ERROR absolute
  }
  bundle {
    from = "../outside"  # ERROR leaves the repository
    to   = "."  # ERROR the zip's root
  }
  bundle {
    from = "libs/shared-py"
    to   = "lib\\shared"  # ERROR backslash
  }
  bundle {  # ERROR no from, no to
  }
  bundle {
    from = "config"
    to   = ".lambdas/config"  # ERROR never packaged
  }
  bundle {
    from = "libs/shared-js"
    to   = ""  # ERROR empty
  }
}

defaults {
  default_bundles = false  # ERROR only in a function
}
