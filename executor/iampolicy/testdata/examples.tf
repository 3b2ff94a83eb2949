# The permissions lambdas needs for project lambdas-examples.
# Note: layers that a function keeps beside lambdas' own (attached by someone else) need lambda:GetLayerVersion on their version ARNs too; add them to the role yourself
# Note: composite alarms can only be read with cloudwatch:DescribeAlarms on "*" (an AWS rule); this policy names the alarms, which suffices for metric alarms
data "aws_iam_policy_document" "lambdas_ci" {
  # plan --refresh, status and apply read each function, its versions and its alias
  statement {
    sid    = "ReadFunctions"
    effect = "Allow"
    actions = [
      "lambda:GetAlias",
      "lambda:GetFunction",
    ]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook:*",
    ]
  }

  # update-code (with Publish) and publish-version act on $LATEST, and prune lists the versions and aliases: the unqualified function only
  statement {
    sid    = "ReleaseCode"
    effect = "Allow"
    actions = [
      "lambda:ListAliases",
      "lambda:ListVersionsByFunction",
      "lambda:PublishVersion",
      "lambda:UpdateFunctionCode",
    ]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook",
    ]
  }

  # move-alias, promote and rollback create and move the alias
  statement {
    sid    = "MoveAliases"
    effect = "Allow"
    actions = [
      "lambda:CreateAlias",
      "lambda:UpdateAlias",
    ]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook:*",
    ]
  }

  # smoke tests invoke the new version (never $LATEST, never the unqualified function)
  statement {
    sid     = "InvokeVersions"
    effect  = "Allow"
    actions = ["lambda:InvokeFunction"]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook:*",
    ]
  }

  # prune deletes old versions: qualified ARNs only, so the function itself can never be deleted
  statement {
    sid     = "PruneVersions"
    effect  = "Allow"
    actions = ["lambda:DeleteFunction"]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails:*",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook:*",
    ]
  }

  # only the functions with a create block, which lambdas creates when they are missing
  statement {
    sid     = "CreateFunctions"
    effect  = "Allow"
    actions = ["lambda:CreateFunction"]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-audit-go",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-checkout-ts",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-invoice-worker",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-webhook",
    ]
  }

  # CreateFunction hands the create block's role to Lambda, and to nothing else
  statement {
    sid       = "PassExecutionRoles"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::123456789012:role/lambdas-demo"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  # attach-layer sets the dependency layer on the functions that declare dependencies
  statement {
    sid     = "AttachLayers"
    effect  = "Allow"
    actions = ["lambda:UpdateFunctionConfiguration"]
    resources = [
      "arn:aws:lambda:us-east-1:123456789012:function:demo-orders-api",
      "arn:aws:lambda:us-east-1:123456789012:function:demo-thumbnails",
    ]
  }

  # publish-layer, and listing a layer's versions (prune)
  statement {
    sid    = "PublishLayers"
    effect = "Allow"
    actions = [
      "lambda:ListLayerVersions",
      "lambda:PublishLayerVersion",
    ]
    resources = ["arn:aws:lambda:us-east-1:123456789012:layer:lambdas-lambdas-examples-deps-*"]
  }

  # attaching a layer version needs GetLayerVersion on it; prune deletes old ones
  statement {
    sid    = "UseLayerVersions"
    effect = "Allow"
    actions = [
      "lambda:DeleteLayerVersion",
      "lambda:GetLayerVersion",
    ]
    resources = ["arn:aws:lambda:us-east-1:123456789012:layer:lambdas-lambdas-examples-deps-*:*"]
  }

  # a weighted rollout watches the deploy block's alarms
  statement {
    sid       = "ReadAlarms"
    effect    = "Allow"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:demo-webhook-errors"]
  }

  # lambdas logs, and a failed smoke test's log lines: the functions' log groups
  statement {
    sid     = "FilterLogs"
    effect  = "Allow"
    actions = ["logs:FilterLogEvents"]
    resources = [
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-audit-go",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-audit-go:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-checkout-ts",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-checkout-ts:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-invoice-worker",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-invoice-worker:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-orders-api",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-orders-api:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-thumbnails",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-thumbnails:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-webhook",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-webhook:*",
    ]
  }

  # lambdas logs: the streams of the functions' log groups
  statement {
    sid     = "ReadLogStreams"
    effect  = "Allow"
    actions = ["logs:GetLogEvents"]
    resources = [
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-audit-go:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-checkout-ts:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-invoice-worker:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-orders-api:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-thumbnails:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-webhook:log-stream:*",
    ]
  }

  # upload: HeadObject (s3:GetObject), PutObject and CopyObject under the prefix; Lambda reads the zip with the caller's rights
  statement {
    sid    = "ArtifactObjects"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = ["arn:aws:s3:::lambdas-demo-artifacts/releases/*"]
  }

  # so that a missing object answers 404 (not uploaded yet, no lock) instead of 403
  statement {
    sid       = "ListBuckets"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::lambdas-demo-artifacts"]
  }
}
