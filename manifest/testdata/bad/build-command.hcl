# A command build needs an output folder inside the source folder, and a
# sensible timeout.
project {
  name = "shop"
}

defaults {
  runtime = "python3.12"
  handler = "app.handler"
}

function "a" {
  source = "functions/orders-api"
  build {
    command = "make dist"  # ERROR no output
  }
}

function "b" {
  source = "functions/orders-api"
  build {
    command = "make dist"
    output  = "../dist"  # ERROR leaves the source folder
    timeout = "3h"  # ERROR at most 2h
  }
}

function "c" {
  source = "functions/orders-api"
  build {
    command = "  "  # ERROR empty
    output  = "/tmp/dist"  # ERROR absolute
    timeout = 600  # ERROR a bare number
  }
}

function "d" {
  source = "functions/orders-api"
  build {
    command = "make"
    output  = "./"  # ERROR the source folder itself
    timeout = "0s"  # ERROR zero
  }
}

function "e" {
  source = "functions/orders-api"
  build {
    command = "make"
    output  = "dist"
    timeout = "a while"  # ERROR not a duration
  }
}

function "f" {
  source = "functions/orders-api"
  preset = "go"  # ERROR belongs in build
}
