# CodeStar notification rules to Slack through AWS Chatbot: each pipeline's
# started and succeeded executions to the releases channel, its failed ones
# to the failures channel.

locals {
  slack_channels = var.slack == null ? {} : {
    releases = var.slack.releases_channel
    failures = var.slack.failures_channel
  }

  notification_rules = var.slack == null ? {} : merge([
    for p in keys(local.pipelines) : {
      "${p}-started-succeeded" = {
        pipeline = p
        channel  = "releases"
        events = [
          "codepipeline-pipeline-pipeline-execution-started",
          "codepipeline-pipeline-pipeline-execution-succeeded",
        ]
      }
      "${p}-failed" = {
        pipeline = p
        channel  = "failures"
        events   = ["codepipeline-pipeline-pipeline-execution-failed"]
      }
    }
  ]...)
}

data "aws_iam_policy_document" "chatbot_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

# Chatbot only relays the notifications: its role has no permissions.
resource "aws_iam_role" "chatbot" {
  count              = var.slack == null ? 0 : 1
  name               = "${var.name}-chatbot"
  assume_role_policy = data.aws_iam_policy_document.chatbot_assume.json
  tags               = var.tags
}

resource "aws_chatbot_slack_channel_configuration" "this" {
  for_each           = local.slack_channels
  configuration_name = "${var.name}-${each.key}"
  iam_role_arn       = aws_iam_role.chatbot[0].arn
  slack_team_id      = var.slack.team_id
  slack_channel_id   = each.value
  logging_level      = "ERROR"
  tags               = var.tags
}

resource "aws_codestarnotifications_notification_rule" "pipeline" {
  for_each       = local.notification_rules
  name           = "${var.name}-${each.key}"
  resource       = aws_codepipeline.lambdas[each.value.pipeline].arn
  detail_type    = var.slack.detail_type
  event_type_ids = each.value.events
  tags           = var.tags

  target {
    type    = "AWSChatbotSlack"
    address = aws_chatbot_slack_channel_configuration.this[each.value.channel].chat_configuration_arn
  }
}
