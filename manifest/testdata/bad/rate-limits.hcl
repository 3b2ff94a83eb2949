# Calls per second must be above 0 and at most 10000.
project {
  name                    = "shop"
  api_rate_limit          = 0  # ERROR
  get_function_rate_limit = 20000  # ERROR
}
