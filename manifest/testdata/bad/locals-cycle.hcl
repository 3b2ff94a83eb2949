locals {
  prefix = "${local.stage}-"  # ERROR
  stage  = "${local.prefix}x"
  name   = "${local.prefix}orders"
  other  = local.nme  # ERROR
}

project {
  name = local.name
}
