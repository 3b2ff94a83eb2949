output "functions" {
  description = "What lambdas.hcl needs of each function: name, alias, runtime, handler, architecture."
  value = {
    for label, f in module.function : label => {
      function_name = f.function_name
      alias         = f.alias
      runtime       = f.runtime
      handler       = f.handler
      architecture  = f.architecture
      alias_arn     = f.alias_arn
    }
  }
}

output "region" {
  description = "project.region in lambdas.hcl."
  value       = var.region
}

output "pipelines" {
  description = "The CI pipelines."
  value       = module.ci.pipelines
}
