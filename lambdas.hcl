# The manifest of the example monorepo in examples/ (see examples/README.md).
# Every path is relative to this file's folder, the repository root.
#
#   lambdas plan                 # what would be released, and why
#   lambdas plan --var env=prod  # the same functions under other names

variable "env" {
  default     = "demo"
  description = "Deployment environment; prefixes every function name."
}

variable "state" {
  default     = ".lambdas/state.json"
  description = "Where the release state lives (the demo points it at a scratch file)."
}

locals {
  prefix = "${var.env}-"
}

project {
  name      = "lambdas-examples"
  region    = "us-east-1"
  artifacts = "s3://lambdas-demo-artifacts/releases" # used by the demo against the local AWS emulator
  state     = var.state
}

defaults {
  architecture = "x86_64"
  alias        = "live"

  # Used only when a function does not exist yet; otherwise Terraform (or
  # whoever made it) owns its configuration.
  create {
    role    = env("LAMBDAS_DEMO_ROLE_ARN", "arn:aws:iam::123456789012:role/lambdas-demo")
    memory  = 128
    timeout = 10
  }
}

# Python 3.12, one PyPI dependency, the shared Python library through the
# symlink examples/functions/orders-api/shared.
function "orders-api" {
  function_name = "${local.prefix}orders-api"
  source        = "examples/functions/orders-api"
  exclude       = ["tests/**", "**/__pycache__/**", "**/.pytest_cache/**"]
  watch         = ["examples/libs/shared-py"]
  runtime       = "python3.12"
  handler       = "app.handler"
  dependencies  = "examples/functions/orders-api/requirements.txt"

  deploy {
    strategy = "all-at-once"
  }
}

# Python 3.12 on Graviton (pure Python: nothing to build for arm64), no
# third-party dependencies.
function "invoice-worker" {
  function_name = "${local.prefix}invoice-worker"
  source        = "examples/functions/invoice-worker"
  exclude       = ["tests/**", "**/__pycache__/**", "**/.pytest_cache/**"]
  watch         = ["examples/libs/shared-py"]
  runtime       = "python3.12"
  architecture  = "arm64"
  handler       = "app.handler"

  deploy {
    strategy = "all-at-once"
  }

  create {
    memory  = 256
    timeout = 30
  }
}

# Node.js 22 with one npm dependency, installed from package-lock.json.
function "thumbnails" {
  function_name = "${local.prefix}thumbnails"
  source        = "examples/functions/thumbnails"
  exclude       = ["test/**", "node_modules/**"]
  watch         = ["examples/libs/shared-js"]
  runtime       = "nodejs22.x"
  handler       = "index.handler"
  dependencies  = "examples/functions/thumbnails/package.json"

  deploy {
    strategy = "all-at-once"
  }

  create {
    environment = {
      THUMB_SIZES   = "128,512"
      THUMB_MAX_AGE = "30d"
    }
  }
}

# Node.js 22 without npm dependencies. Weighted rollouts (canary, linear)
# arrive with traffic shifting; until then the alias moves at once.
function "webhook" {
  function_name = "${local.prefix}webhook"
  source        = "examples/functions/webhook"
  exclude       = ["test/**", "node_modules/**"]
  watch         = ["examples/libs/shared-js"]
  runtime       = "nodejs22.x"
  handler       = "index.handler"

  deploy {
    strategy = "all-at-once"
  }

  create {
    environment = {
      WEBHOOK_SECRET = env("LAMBDAS_DEMO_WEBHOOK_SECRET", "demo-webhook-secret")
    }
  }
}
