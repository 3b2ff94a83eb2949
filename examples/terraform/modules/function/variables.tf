variable "function_name" {
  description = "The Lambda function's name: what function_name in lambdas.hcl says."
  type        = string
}

variable "runtime" {
  description = "The runtime, as lambdas.hcl gives it (python3.12, nodejs22.x, provided.al2023, ...)."
  type        = string
}

variable "handler" {
  description = "The handler, as lambdas.hcl gives it (app.handler, index.handler, bootstrap)."
  type        = string
}

variable "architecture" {
  description = "x86_64 or arm64, as lambdas.hcl gives it."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture is x86_64 or arm64."
  }
}

variable "alias" {
  description = "The alias lambdas moves to each released version (lambdas.hcl's alias, \"live\" by default)."
  type        = string
  default     = "live"
}

variable "memory_size" {
  description = "Memory in MB. Configuration is Terraform's: lambdas releases code only."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 3
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "How long the log group keeps logs."
  type        = number
  default     = 30
}

variable "role_arn" {
  description = "An existing execution role; null creates one that may write to the function's log group only."
  type        = string
  default     = null
}

variable "policy_arns" {
  description = "Managed policies to attach to the created execution role (what the code itself calls)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
