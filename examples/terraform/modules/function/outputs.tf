# What lambdas.hcl needs to release this function: its name, alias,
# runtime, handler and architecture (which must agree with the function
# block), and the region it is in.

output "function_name" {
  description = "function_name in lambdas.hcl."
  value       = aws_lambda_function.this.function_name
}

output "alias" {
  description = "alias in lambdas.hcl."
  value       = aws_lambda_alias.this.name
}

output "runtime" {
  description = "runtime in lambdas.hcl."
  value       = aws_lambda_function.this.runtime
}

output "handler" {
  description = "handler in lambdas.hcl."
  value       = aws_lambda_function.this.handler
}

output "architecture" {
  description = "architecture in lambdas.hcl."
  value       = var.architecture
}

output "region" {
  description = "project.region in lambdas.hcl."
  value       = data.aws_region.current.name
}

output "function_arn" {
  description = "The function's ARN (lambdas iam-policy grants on it)."
  value       = aws_lambda_function.this.arn
}

output "alias_arn" {
  description = "The alias's ARN: what event sources and API Gateway should invoke."
  value       = aws_lambda_alias.this.arn
}

output "alias_invoke_arn" {
  description = "The alias's invoke ARN, for API Gateway integrations."
  value       = aws_lambda_alias.this.invoke_arn
}

output "role_arn" {
  description = "The execution role's ARN."
  value       = local.role_arn
}

output "log_group_name" {
  description = "The function's log group (lambdas logs reads it)."
  value       = aws_cloudwatch_log_group.this.name
}

output "manifest_block" {
  description = "A function block for lambdas.hcl; add source (and build, bundles, deploy) to it."
  value       = <<-EOT
    function "${var.function_name}" {
      function_name = "${aws_lambda_function.this.function_name}"
      runtime       = "${aws_lambda_function.this.runtime}"
      handler       = "${aws_lambda_function.this.handler}"
      architecture  = "${var.architecture}"
      alias         = "${aws_lambda_alias.this.name}"
    }
  EOT
}

data "aws_region" "current" {}
