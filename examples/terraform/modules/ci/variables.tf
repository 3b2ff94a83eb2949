variable "name" {
  description = "A prefix for every resource's name."
  type        = string
  default     = "lambdas"
}

variable "repository" {
  description = "The GitHub repository, owner/name."
  type        = string
}

variable "branch" {
  description = "The branch the QA pipeline follows (release { branch = ... } in lambdas.hcl)."
  type        = string
  default     = "main"
}

variable "release_tags" {
  description = "The tag patterns of releases that the production pipeline runs for (release { tag = ... } in lambdas.hcl)."
  type        = list(string)
  default     = ["v*"]
}

variable "connection_arn" {
  description = "An existing CodeStar connection to GitHub; null creates one (it then needs one click in the console: Developer Tools > Connections > Update pending connection)."
  type        = string
  default     = null
}

variable "buildspec" {
  description = "The buildspec's path in the repository."
  type        = string
  default     = "examples/ci/buildspec.yml"
}

variable "environments" {
  description = "The lambdas environment (envs/<name>.hcl) each pipeline releases to."
  type = object({
    branch  = string
    release = string
  })
  default = {
    branch  = "qa"
    release = "production"
  }
}

variable "lambdas_policy_json" {
  description = "The policy the build needs to release the functions: `lambdas iam-policy` (or data.aws_iam_policy_document.<name>.json from `lambdas iam-policy --format terraform`)."
  type        = string
}

variable "slack_webhook_secret_arn" {
  description = "The Secrets Manager secret holding the Slack webhook URL that lambdas' notify block posts to (the buildspec reads lambdas/slack:webhook_url); null: none."
  type        = string
  default     = null
}

variable "slack" {
  description = "AWS Chatbot's Slack workspace and channels for the pipelines' notifications: started and succeeded to one channel, failed to another. null: no notifications. The workspace must be authorized in the AWS Chatbot console once."
  type = object({
    team_id          = string
    releases_channel = string
    failures_channel = string
    detail_type      = optional(string, "BASIC") # or FULL
  })
  default = null
}

variable "compute_type" {
  description = "The CodeBuild compute type."
  type        = string
  default     = "BUILD_GENERAL1_SMALL"
}

variable "image" {
  description = "The CodeBuild image."
  type        = string
  default     = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
