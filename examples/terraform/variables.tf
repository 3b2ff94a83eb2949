variable "env" {
  description = "The environment: every function is named <env>-<label>, as lambdas.hcl's variable env does."
  type        = string
  default     = "demo"
}

variable "region" {
  description = "project.region in lambdas.hcl."
  type        = string
  default     = "us-east-1"
}

variable "repository" {
  description = "The GitHub repository the CI pipelines release from, owner/name."
  type        = string
  default     = "lambdas-dev/lambdas"
}

variable "slack" {
  description = "AWS Chatbot's Slack workspace and channels for the pipelines' notifications; null: none."
  type = object({
    team_id          = string
    releases_channel = string
    failures_channel = string
  })
  default = null
}
