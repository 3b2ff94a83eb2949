project {
  name      = "shop"
  artifacts = "s3://Shop_Artifacts/lambdas"  # ERROR
}
