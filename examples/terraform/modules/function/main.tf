# A Lambda function whose code lambdas releases: Terraform creates the
# function with placeholder code, its log group, its execution role and its
# alias, and owns their configuration; lambdas owns the code, the published
# versions, the layers it attaches and where the alias points. The lifecycle
# blocks below are what keeps the two apart: Terraform never reverts a
# release.

locals {
  # The placeholder answers every invocation with an error until the first
  # lambdas apply: it is named after the handler's file so that the
  # function is valid from the start.
  family = startswith(var.runtime, "python") ? "python" : (startswith(var.runtime, "nodejs") ? "nodejs" : "provided")
  module = split(".", var.handler)[0]
  placeholder = {
    python = {
      filename = "${local.module}.py"
      content  = "def ${try(split(".", var.handler)[1], "handler")}(event, context):\n    raise RuntimeError(\"${var.function_name} has not been released yet: run lambdas apply\")\n"
    }
    nodejs = {
      filename = "${local.module}.mjs"
      content  = "export const ${try(split(".", var.handler)[1], "handler")} = async () => {\n  throw new Error(\"${var.function_name} has not been released yet: run lambdas apply\");\n};\n"
    }
    provided = {
      filename = "bootstrap"
      content  = "#!/bin/sh\necho \"${var.function_name} has not been released yet: run lambdas apply\" >&2\nexit 1\n"
    }
  }[local.family]
  role_arn = var.role_arn != null ? var.role_arn : aws_iam_role.this[0].arn
}

data "archive_file" "placeholder" {
  type        = "zip"
  output_path = "${path.module}/.placeholder/${var.function_name}.zip"

  source {
    filename = local.placeholder.filename
    content  = local.placeholder.content
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count              = var.role_arn == null ? 1 : 0
  name               = "${var.function_name}-exec"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  count  = var.role_arn == null ? 1 : 0
  name   = "logs"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_iam_role_policy_attachment" "extra" {
  for_each   = var.role_arn == null ? toset(var.policy_arns) : toset([])
  role       = aws_iam_role.this[0].name
  policy_arn = each.value
}

resource "aws_lambda_function" "this" {
  function_name    = var.function_name
  role             = local.role_arn
  runtime          = var.runtime
  handler          = var.handler
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  filename         = data.archive_file.placeholder.output_path
  source_code_hash = data.archive_file.placeholder.output_base64sha256
  publish          = true # version 1, the placeholder, for the alias to point at
  description      = "code released by lambdas"
  tags             = var.tags

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []
    content {
      variables = environment.value
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  lifecycle {
    # lambdas uploads the code (S3 or a direct zip) and attaches its
    # dependency layers: Terraform must not put the placeholder back.
    ignore_changes = [
      filename,
      s3_bucket,
      s3_key,
      source_code_hash,
      layers,
    ]
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.logs]
}

resource "aws_lambda_alias" "this" {
  name             = var.alias
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
  description      = "moved by lambdas to each released version"

  lifecycle {
    # lambdas moves the alias (and weights it during a rollout).
    ignore_changes = [
      function_version,
      routing_config,
    ]
  }
}
