variable "account_id" {
  description = "New Relic account that receives the enforcer's metrics."
  type        = number
}

variable "runbook_base_url" {
  description = "Web URL of the repository at the deployed revision; runbooks live under docs/runbooks/ (for example https://github.com/<org>/signal-factory/blob/main)."
  type        = string
}

variable "tier1_topics" {
  description = "Raw topics that carry at least one TIER_1 dataset (New Relic cannot join signal_factory_dataset_info at alert time)."
  type        = list(string)
  default     = ["raw.orders.events"]
}

variable "expected_traffic_datasets" {
  description = "Datasets whose evidence must never stop (24x7 expected traffic window). Datasets with narrower windows go in business_hours_datasets."
  type        = list(string)
  default     = ["urn:dp:orders:created"]
}

variable "business_hours_datasets" {
  description = "Datasets that only have traffic during business hours; the evidence-gap condition for them is muted outside the window by a muting rule."
  type        = list(string)
  default     = []
}

variable "business_hours" {
  description = "Expected traffic window of business_hours_datasets (muted outside it)."
  type = object({
    time_zone  = string
    start_time = string # first day's mute start, local time, e.g. 2026-01-05T19:00:00 (mute 19:00-07:00)
    end_time   = string
  })
  default = {
    time_zone  = "Europe/London"
    start_time = "2026-01-05T19:00:00"
    end_time   = "2026-01-06T07:00:00"
  }
}

variable "enforcer_job" {
  description = "Prometheus job label of the enforcer's scrape target."
  type        = string
  default     = "signal-factory-enforcer"
}
