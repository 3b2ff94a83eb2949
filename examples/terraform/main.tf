# The example monorepo's functions (../../lambdas.hcl) created by Terraform,
# released by lambdas. Terraform owns each function's configuration, log
# group, role and alias; lambdas owns the code and where the alias points
# (modules/function's lifecycle blocks keep Terraform from reverting a
# release). The CI that runs lambdas is modules/ci.
#
# The map below must agree with lambdas.hcl: same labels, runtimes, handlers
# and architectures (examples/ci_test.go checks it).

locals {
  functions = {
    "orders-api" = {
      runtime      = "python3.12"
      handler      = "app.handler"
      architecture = "x86_64"
      memory_size  = 128
      timeout      = 10
      environment  = {}
    }
    "invoice-worker" = {
      runtime      = "python3.12"
      handler      = "app.handler"
      architecture = "arm64"
      memory_size  = 256
      timeout      = 30
      environment  = {}
    }
    "thumbnails" = {
      runtime      = "nodejs22.x"
      handler      = "index.handler"
      architecture = "x86_64"
      memory_size  = 128
      timeout      = 10
      environment = {
        THUMB_SIZES   = "128,512"
        THUMB_MAX_AGE = "30d"
      }
    }
    "webhook" = {
      runtime      = "nodejs22.x"
      handler      = "index.handler"
      architecture = "x86_64"
      memory_size  = 128
      timeout      = 10
      environment  = {}
    }
    "checkout-ts" = {
      runtime      = "nodejs22.x"
      handler      = "index.handler"
      architecture = "x86_64"
      memory_size  = 128
      timeout      = 10
      environment = {
        QUOTE_TTL = "15m"
      }
    }
    "audit-go" = {
      runtime      = "provided.al2023"
      handler      = "bootstrap"
      architecture = "arm64"
      memory_size  = 128
      timeout      = 30
      environment = {
        AUDIT_IGNORE = "updated_at,version"
      }
    }
  }
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  function_name = "${var.env}-${each.key}"
  runtime       = each.value.runtime
  handler       = each.value.handler
  architecture  = each.value.architecture
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout
  environment   = each.value.environment
  alias         = "live"
  tags          = { "lambdas:project" = "lambdas-examples", "lambdas:env" = var.env }
}

# CodeBuild and the two CodePipelines (QA on pushes to main, production on
# release tags), with the policy `lambdas iam-policy` prints for
# lambdas.hcl (lambdas_policy.tf, generated; see its first line).
module "ci" {
  source = "./modules/ci"

  name                = "lambdas-examples"
  repository          = var.repository
  lambdas_policy_json = data.aws_iam_policy_document.lambdas.json
  slack               = var.slack
}
