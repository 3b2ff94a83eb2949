# Presets must exist and fit the function's runtime and handler.
project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  build {
    preset = "go"  # ERROR not a provided runtime
  }
}

function "go-fn" {
  source  = "functions/go-fn"
  runtime = "provided.al2023"
  handler = "bootstrap"
  build {
    preset = "golang"  # ERROR did you mean go
  }
}

function "go-main" {
  source  = "functions/go-fn"
  runtime = "provided.al2"
  handler = "main"  # a warning only: Lambda ignores it
  build {
    preset = "go"
  }
}

function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build {
    preset = "esbiuld"  # ERROR did you mean esbuild
  }
}

function "cron" {
  source  = "functions/cron"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build {
    preset = "esbuild"
    output = "dist"  # ERROR not with a preset
  }
}

function "billing" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  build {
    preset  = "esbuild"  # ERROR not a Node.js runtime
  }
}

function "both" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build {
    preset  = "esbuild"
    command = "npm run build"  # ERROR both
  }
}

function "empty" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build {  # ERROR neither preset nor command
  }
}

function "ts" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "src/app.handler"  # ERROR no src/app.ts or .js
  build {
    preset = "esbuild"
  }
}

function "up" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "../web/index.handler"  # ERROR outside the source folder
  build {
    preset = "esbuild"
  }
}

function "all-at-once" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build {
    preset  = "webpack"  # ERROR did you mean esbuild
    output  = "dist"  # ERROR not with a preset
    timeout = "-1m"  # ERROR every mistake at once
  }
}
