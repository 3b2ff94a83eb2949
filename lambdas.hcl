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

variable "canary_interval" {
  default     = "5m"
  description = "How long each step of webhook's canary runs before the next (the demo sets 2s)."
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

  # Dependency layers (orders-api, thumbnails) are built from each
  # function's descriptor. "local" runs pip and npm on this machine for
  # Lambda's platform, which suits these pure-Python and pure-JS packages
  # and needs no image registry; the default, "auto", builds in AWS SAM's
  # build image when a Docker engine answers.
  builder = "local"

  # lambdas prune (and apply, after a release) deletes older versions that
  # no alias points to, and layer versions that no kept version uses.
  keep_versions = 5

  # Used only when a function does not exist yet; otherwise Terraform (or
  # whoever made it) owns its configuration.
  create {
    role    = env("LAMBDAS_DEMO_ROLE_ARN", "arn:aws:iam::123456789012:role/lambdas-demo")
    memory  = 128
    timeout = 10
  }
}

# Python 3.12, one PyPI dependency (python-dateutil, in a layer built from
# requirements.txt), the shared Python library through the symlink
# examples/functions/orders-api/shared: the packager follows it, and a
# commit to the library releases this function (no watch needed).
function "orders-api" {
  function_name = "${local.prefix}orders-api"
  source        = "examples/functions/orders-api"
  exclude       = ["tests/**", "**/__pycache__/**", "**/.pytest_cache/**"]
  runtime       = "python3.12"
  handler       = "app.handler"
  dependencies  = "examples/functions/orders-api/requirements.txt"

  deploy {
    strategy = "all-at-once"
  }
}

# Python 3.12 on Graviton (pure Python: nothing to build for arm64), no
# third-party dependencies. The shared library comes in with a bundle block
# instead of a symlink: examples/libs/shared-py/shared is zipped as shared/.
function "invoice-worker" {
  function_name = "${local.prefix}invoice-worker"
  source        = "examples/functions/invoice-worker"
  exclude       = ["tests/**", "**/__pycache__/**", "**/.pytest_cache/**"]

  bundle {
    from = "examples/libs/shared-py/shared"
    to   = "shared"
  }
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

# Node.js 22 with one npm dependency (ms), in a layer installed from
# package-lock.json with npm ci --omit=dev.
function "thumbnails" {
  function_name = "${local.prefix}thumbnails"
  source        = "examples/functions/thumbnails"
  exclude       = ["test/**", "node_modules/**"]
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

# Node.js 22 without npm dependencies, released as a canary: 10% of the
# traffic on the new version, then 50%, then all of it, one interval apart,
# each step gated by the CloudWatch alarm (made by Terraform beside the
# function; the demo makes it); an alarm in ALARM rolls it back. Before any
# traffic moves, the smoke test invokes the new version with an unsigned
# webhook, which a configured webhook refuses with 401 (a broken one throws,
# or answers 500 when WEBHOOK_SECRET is missing). lambdas apply waits
# through the steps; in CI, apply --rollout=start and a scheduled lambdas
# promote.
function "webhook" {
  function_name = "${local.prefix}webhook"
  source        = "examples/functions/webhook"
  exclude       = ["test/**", "node_modules/**"]
  runtime       = "nodejs22.x"
  handler       = "index.handler"

  deploy {
    strategy = "canary"
    steps    = [10, 50, 100]
    interval = var.canary_interval
    alarms   = ["${local.prefix}webhook-errors"]

    smoke_test {
      payload = file("examples/functions/webhook/test/smoke-event.json")
      expect  = "\"statusCode\":401"
    }
  }

  create {
    environment = {
      WEBHOOK_SECRET = env("LAMBDAS_DEMO_WEBHOOK_SECRET", "demo-webhook-secret")
    }
  }
}

# TypeScript, bundled by esbuild (examples/package.json pins it; its version
# is part of the fingerprint) into one index.mjs: ms and the shared JS module
# (through the symlink shared/) go inside the bundle, the AWS SDK stays out.
function "checkout-ts" {
  function_name = "${local.prefix}checkout-ts"
  source        = "examples/functions/checkout-ts"
  runtime       = "nodejs22.x"
  handler       = "index.handler"

  build {
    preset = "esbuild"
  }

  deploy {
    strategy = "all-at-once"
  }

  create {
    environment = {
      QUOTE_SECRET = env("LAMBDAS_DEMO_QUOTE_SECRET", "demo-quote-secret")
      QUOTE_TTL    = "15m"
    }
  }
}

# Go on Graviton: a static bootstrap for provided.al2023, built by the go
# preset (GOARCH=arm64, CGO off, -trimpath: the same bytes on every machine).
function "audit-go" {
  function_name = "${local.prefix}audit-go"
  source        = "examples/functions/audit-go"
  runtime       = "provided.al2023"
  architecture  = "arm64"
  handler       = "bootstrap"

  build {
    preset = "go"
  }

  deploy {
    strategy = "all-at-once"
  }

  create {
    timeout = 30
    environment = {
      AUDIT_IGNORE = "updated_at,version"
    }
  }
}
