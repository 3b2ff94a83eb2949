project {
  name      = "shop"
  artifacts = "https://shop-artifacts.s3.amazonaws.com/lambdas"  # ERROR
}
