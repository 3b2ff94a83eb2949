# A bundle must not land on what the source folder (or a preset's build)
# already puts in the zip.
project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  bundle {
    from = "libs/shared-py"
    to   = "tests"  # ERROR the source has a folder tests
  }
  bundle {
    from = "config/version.txt"
    to   = "app.py/version.txt"  # ERROR app.py is a file
  }
  bundle {
    from = "libs/shared-py"
    to   = "vendor/shared"  # a new folder is fine
  }
}

function "go-fn" {
  source  = "functions/go-fn"
  runtime = "provided.al2023"
  handler = "bootstrap"
  build {
    preset = "go"
  }
  bundle {
    from = "config/version.txt"
    to   = "bootstrap"  # ERROR the go build's executable
  }
}
