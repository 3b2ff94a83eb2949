project {
  name  = "shop"
  state = "s3://shop-state"  # ERROR
}
