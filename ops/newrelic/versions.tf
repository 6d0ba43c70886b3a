# New Relic alerts and dashboard for Signal Factory, as Terraform (provider newrelic/newrelic).
# The enforcer's Prometheus metrics reach New Relic through Prometheus remote write or the
# Prometheus agent (nri-prometheus); they land in the Metric event type with their Prometheus labels
# as attributes. Counters arrive as deltas (query them with rate(sum(x), 1 second)), gauges as gauges,
# histograms as <name>_bucket counts (query them with bucketPercentile()). See docs/observability.md.
terraform {
  required_version = ">= 1.3"
  required_providers {
    newrelic = {
      source  = "newrelic/newrelic"
      version = "~> 3.40"
    }
  }
}

provider "newrelic" {
  account_id = var.account_id
  # api_key and region come from NEW_RELIC_API_KEY / NEW_RELIC_REGION.
}
