project {
  name = "shop"
}

defaults {
  builder       = "dokcer"  # ERROR
  keep_versions = 0  # ERROR
}

function "orders-api" {
  source          = "functions/orders-api"
  runtime         = "python3.12"
  handler         = "app.handler"
  dependencies    = "functions/orders-api/requirements.txt"
  build_image     = "img:1"  # ERROR
  builder_image   = "img:2"
  builder_timeout = "3h"  # ERROR
}

function "web" {
  source        = "functions/web"
  runtime       = "nodejs22.x"
  handler       = "index.handler"
  keep_versions = 2.5  # ERROR
  build_image   = "legacy:1"
}
