# CI for lambdas on AWS: one CodeBuild project that runs
# examples/ci/buildspec.yml, and two CodePipelines that start it from GitHub
# through a CodeStar connection:
#
#   <name>-branch   follows every push to var.branch and releases to QA
#   <name>-release  starts when a GitHub release is published: the release's
#                   tag (var.release_tags) reaches the pipeline through the
#                   connection's GitHub webhook, and it releases to production
#
# CodeStar notification rules tell Slack through AWS Chatbot: started and
# succeeded to one channel, failed to another (notifications.tf).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  connection_arn = var.connection_arn != null ? var.connection_arn : aws_codestarconnections_connection.github[0].arn
}

resource "aws_codestarconnections_connection" "github" {
  count         = var.connection_arn == null ? 1 : 0
  name          = substr("${var.name}-github", 0, 32)
  provider_type = "GitHub"
  tags          = var.tags
}

# Pipeline artifacts: the source (a reference to the clone, see below) and
# nothing else.
resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "${var.name}-pipeline-"
  force_destroy = true
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_cloudwatch_log_group" "build" {
  name              = "/aws/codebuild/${var.name}"
  retention_in_days = 90
  tags              = var.tags
}

resource "aws_codebuild_project" "lambdas" {
  name          = var.name
  description   = "lambdas plan and apply (${var.buildspec})"
  service_role  = aws_iam_role.build.arn
  build_timeout = 60
  tags          = var.tags

  artifacts {
    type = "CODEPIPELINE"
  }

  source {
    type      = "CODEPIPELINE"
    buildspec = var.buildspec
  }

  environment {
    type         = "LINUX_CONTAINER"
    compute_type = var.compute_type
    image        = var.image

    # Each pipeline's build action overrides it.
    environment_variable {
      name  = "LAMBDAS_ENVIRONMENT"
      value = var.environments.branch
    }
  }

  cache {
    type  = "LOCAL"
    modes = ["LOCAL_CUSTOM_CACHE"]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.build.name
    }
  }
}
