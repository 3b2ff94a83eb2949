project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
  source  = "functions/orders-api"
}

function "Orders API" {  # ERROR
}

function "-billing" {  # ERROR
}

function {  # ERROR no label
}

function "a" "b" {  # ERROR two labels
}
