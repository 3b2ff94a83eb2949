project {
  name  = "shop"
  state = "config"  # ERROR a folder
}
