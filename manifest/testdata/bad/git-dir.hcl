# git's own folder is never packaged nor watched.
project {
  name = "shop"
}

function "orders-api" {
  source       = ".git"  # ERROR
  runtime      = "python3.12"
  handler      = "app.handler"
  dependencies = ".git/modules/x/requirements.txt"  # ERROR
}

function "web" {
  source  = "functions/web"
  watch   = ["libs/shared-js", "libs/../.git/HEAD"]  # ERROR
  runtime = "nodejs22.x"
  handler = "index.handler"
  bundle {
    from = "functions/.GIT/hooks"  # ERROR any case
    to   = "hooks"
  }
}
