project {
  name = "shop"
}

project {  # ERROR
  name = "shop-eu"
}
