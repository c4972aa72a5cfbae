# ------------------------------------------------------------------------------
# Monitoring and cost: the alert e-mail and the project's monthly budget
# ------------------------------------------------------------------------------
resource "google_monitoring_notification_channel" "email" {
  display_name = "${local.name} alerts"
  type         = "email"

  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.apis]
}

# Alerts at 80 % of the actual spend and 100 % of the forecast spend of the month.
resource "google_billing_budget" "monthly" {
  billing_account = var.billing_account
  display_name    = "${local.name} monthly"

  budget_filter {
    projects        = ["projects/${data.google_project.this.number}"]
    calendar_period = "MONTH"
  }

  amount {
    specified_amount {
      units = tostring(var.budget_monthly)
    }
  }

  threshold_rules {
    threshold_percent = 0.8
    spend_basis       = "CURRENT_SPEND"
  }

  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = [google_monitoring_notification_channel.email.id]
    disable_default_iam_recipients   = false
  }

  depends_on = [google_project_service.apis]
}
