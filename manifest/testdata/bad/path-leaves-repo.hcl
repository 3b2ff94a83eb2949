project {
  name = "shop"
}

function "orders-api" {
  source  = "../other-repo/orders-api"  # ERROR
  runtime = "python3.12"
  handler = "app.handler"
  watch   = [
    "libs/shared-py",
    "escape",  # ERROR a symlink to a folder outside the repository
    "/etc/ssl",  # ERROR
  ]
  dependencies = "functions/../../requirements.txt"  # ERROR
}
