# The branch pipeline (QA) follows pushes to var.branch; the release
# pipeline (production) runs for release tags. Both are V2 pipelines whose
# triggers filter the events the CodeStar connection's GitHub webhook
# delivers: a push to the branch, a tag pushed by publishing a GitHub
# release.
#
# OutputArtifactFormat = CODEBUILD_CLONE_REF: CodeBuild gets a git clone at
# the commit, with its history, which lambdas plans from (a source zip has
# no .git). The build role then needs codestar-connections:UseConnection.

locals {
  pipelines = {
    branch = {
      environment = var.environments.branch
      trigger     = "branch"
    }
    release = {
      environment = var.environments.release
      trigger     = "tag"
    }
  }
}

resource "aws_codepipeline" "lambdas" {
  for_each       = local.pipelines
  name           = "${var.name}-${each.key}"
  role_arn       = aws_iam_role.pipeline.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED" # two runs of one environment never overlap
  tags           = var.tags

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  trigger {
    provider_type = "CodeStarSourceConnection"
    git_configuration {
      source_action_name = "Source"

      dynamic "push" {
        for_each = each.value.trigger == "branch" ? [1] : []
        content {
          branches {
            includes = [var.branch]
          }
        }
      }

      dynamic "push" {
        for_each = each.value.trigger == "tag" ? [1] : []
        content {
          tags {
            includes = var.release_tags
          }
        }
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn        = local.connection_arn
        FullRepositoryId     = var.repository
        BranchName           = var.branch
        OutputArtifactFormat = "CODEBUILD_CLONE_REF"
        DetectChanges        = "false" # the trigger above decides
      }
    }
  }

  stage {
    name = "Release"
    action {
      name            = "lambdas-apply"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ProjectName = aws_codebuild_project.lambdas.name
        EnvironmentVariables = jsonencode([
          { name = "LAMBDAS_ENVIRONMENT", value = each.value.environment, type = "PLAINTEXT" },
        ])
      }
    }
  }
}
