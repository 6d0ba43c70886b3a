# The New Relic dashboard (dashboard.json is the NerdGraph/export form, accountId 0 as placeholder).
resource "newrelic_one_dashboard_json" "enforcer" {
  json = replace(file("${path.module}/dashboard.json"), "\"accountId\": 0", "\"accountId\": ${var.account_id}")
}
