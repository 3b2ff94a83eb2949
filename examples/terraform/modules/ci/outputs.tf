output "codebuild_project" {
  description = "The CodeBuild project that runs lambdas."
  value       = aws_codebuild_project.lambdas.name
}

output "pipelines" {
  description = "The pipelines by kind: branch (QA) and release (production)."
  value       = { for k, p in aws_codepipeline.lambdas : k => p.name }
}

output "build_role_arn" {
  description = "The role lambdas runs as in CodeBuild."
  value       = aws_iam_role.build.arn
}

output "connection_arn" {
  description = "The CodeStar connection to GitHub (a new one must be approved once in the console)."
  value       = local.connection_arn
}
