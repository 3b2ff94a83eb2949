# env SLACK_WEBHOOK_URL=ftp://hooks.example.com/T000/B000/s3cr3t-token
# env PLAIN_URL=http://hooks.example.com/s3cr3t-plain
# env RELEASE_WEBHOOK_URL=https://hooks.example.com/releases
project {
  name = "shop"
}

function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}

notify "slak" {  # ERROR
  webhook_url = env("SLACK_WEBHOOK_URL")
}

notify "slack" {
  webhook_url = env("SLACK_WEBHOOK_URL")  # ERROR
}

notify "slack" {
  url = env("RELEASE_WEBHOOK_URL")  # ERROR
}

notify "webhook" {  # ERROR
  on = ["failure"]
}

notify "webhook" {
  url = env("RELEASE_WEBHOOK_URL")
  on  = ["sucess", "failure", "failure"]  # ERROR
}

notify "webhook" {
  url = env("PLAIN_URL")
  on  = []  # ERROR
}

notify "webhook" {
  url     = env("RELEASE_WEBHOOK_URL")
  channel = "#releases"  # ERROR
}
