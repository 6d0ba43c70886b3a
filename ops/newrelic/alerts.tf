# NRQL alert conditions mirroring ops/prometheus/signal-factory.rules.yml (same names, same
# thresholds). Severity is carried by the policy: "page" (critical) and "ticket" (warning).
# Differences from the Prometheus rules, all forced by NRQL alerting (one query, one window):
#   - lag is alerted per partition (no sum over partitions of a gauge per window);
#   - Tier-1 topics and expected-traffic datasets are Terraform variables, not a join;
#   - the contract spike uses a baseline (anomaly) condition; the 0.1/s floor is applied in the
#     query with if();
#   - completeness burn rates use single sliding windows (1h fast, 6h slow) instead of window pairs.

locals {
  runbooks        = "${var.runbook_base_url}/docs/runbooks"
  tier1_topics    = join(", ", [for t in var.tier1_topics : "'${t}'"])
  gap_datasets    = join(", ", [for d in concat(var.expected_traffic_datasets, var.business_hours_datasets) : "'${d}'"])
  completeness_ok = 0.0001 # error budget of the 99.99% evidence completeness SLO
}

resource "newrelic_alert_policy" "page" {
  name                = "Signal Factory - page"
  incident_preference = "PER_CONDITION_AND_TARGET"
}

resource "newrelic_alert_policy" "ticket" {
  name                = "Signal Factory - ticket"
  incident_preference = "PER_CONDITION_AND_TARGET"
}

# ---- Design 9.4: Critical Lag (lag > 1000 for 5 minutes on a Tier-1 topic) ----
resource "newrelic_nrql_alert_condition" "enforcer_critical_lag_tier1" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "EnforcerCriticalLagTier1"
  description                  = "Consumer lag above 1000 records for 5 minutes on a Tier-1 raw topic partition."
  runbook_url                  = "${local.runbooks}/consumer-lag.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT max(enforcer_consumer_lag) FROM Metric WHERE topic IN (${local.tier1_topics}) FACET topic, partition"
  }

  critical {
    operator              = "above"
    threshold             = 1000
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

resource "newrelic_nrql_alert_condition" "enforcer_consumer_lag_high" {
  policy_id                    = newrelic_alert_policy.ticket.id
  type                         = "static"
  name                         = "EnforcerConsumerLagHigh"
  description                  = "Consumer lag above 10000 records for 15 minutes on any raw topic partition."
  runbook_url                  = "${local.runbooks}/consumer-lag.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT max(enforcer_consumer_lag) FROM Metric FACET topic, partition"
  }

  critical {
    operator              = "above"
    threshold             = 10000
    threshold_duration    = 900
    threshold_occurrences = "all"
  }
}

# ---- Design 9.4: Evidence Gap (evidence rate 0 for 5 minutes during an expected traffic window) ----
# A dataset whose evidence stops entirely loses its signal: the loss-of-signal settings open the
# incident; a zero rate (series present, no increments) is caught by the threshold with fill 0.
resource "newrelic_nrql_alert_condition" "enforcer_evidence_gap" {
  policy_id                      = newrelic_alert_policy.page.id
  type                           = "static"
  name                           = "EnforcerEvidenceGap"
  description                    = "No evidence for a dataset for 5 minutes inside its expected traffic window."
  runbook_url                    = "${local.runbooks}/enforcer-down.md"
  enabled                        = true
  violation_time_limit_seconds   = 86400
  aggregation_window             = 60
  aggregation_method             = "event_timer"
  aggregation_timer              = 60
  fill_option                    = "static"
  fill_value                     = 0
  expiration_duration            = 300
  open_violation_on_expiration   = true
  close_violations_on_expiration = false

  nrql {
    query = "SELECT rate(sum(enforcer_records_total), 1 second) FROM Metric WHERE dataset IN (${local.gap_datasets}) FACET dataset"
  }

  critical {
    operator              = "below_or_equals"
    threshold             = 0
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

# Business-hours datasets have no expected traffic at night: mute their gap incidents then.
resource "newrelic_alert_muting_rule" "evidence_gap_off_hours" {
  count       = length(var.business_hours_datasets) > 0 ? 1 : 0
  name        = "EnforcerEvidenceGap outside the expected traffic window"
  description = "Mutes EnforcerEvidenceGap for business-hours datasets outside their traffic window."
  enabled     = true

  condition {
    operator = "AND"
    conditions {
      attribute = "conditionName"
      operator  = "EQUALS"
      values    = [newrelic_nrql_alert_condition.enforcer_evidence_gap.name]
    }
    conditions {
      attribute = "tag.dataset"
      operator  = "IN"
      values    = var.business_hours_datasets
    }
  }

  schedule {
    start_time = var.business_hours.start_time
    end_time   = var.business_hours.end_time
    time_zone  = var.business_hours.time_zone
    repeat     = "DAILY"
  }
}

# ---- Design 9.4: Contract Breakage Spike (anomaly on gate failures where gate = CONTRACT) ----
resource "newrelic_nrql_alert_condition" "enforcer_contract_breakage_spike" {
  policy_id                    = newrelic_alert_policy.ticket.id
  type                         = "baseline"
  baseline_direction           = "upper_only"
  name                         = "EnforcerContractBreakageSpike"
  description                  = "CONTRACT gate failures of a dataset 3 standard deviations above their learned baseline, and above 0.1/s, for 5 minutes."
  runbook_url                  = "${local.runbooks}/upstream-producer-regression.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    # Values under the floor (0.1 failures/s) are reported as 0 so a handful of stray records
    # cannot look anomalous against a baseline of zero.
    query = "SELECT if(rate(sum(enforcer_gate_failures_total), 1 second) > 0.1, rate(sum(enforcer_gate_failures_total), 1 second), 0) FROM Metric WHERE gate = 'CONTRACT' FACET dataset"
  }

  critical {
    operator              = "above"
    threshold             = 3
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

# ---- Design 9.4: Registry Unavailability (spike of reason = SCHEMA_REGISTRY_UNAVAILABLE) ----
resource "newrelic_nrql_alert_condition" "enforcer_schema_registry_unavailable" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "EnforcerSchemaRegistryUnavailable"
  description                  = "Gate failures with reason SCHEMA_REGISTRY_UNAVAILABLE above 0.05/s for 5 minutes."
  runbook_url                  = "${local.runbooks}/registry-unavailable.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120
  fill_option                  = "static"
  fill_value                   = 0

  nrql {
    query = "SELECT rate(sum(enforcer_gate_failures_total), 1 second) FROM Metric WHERE reason = 'SCHEMA_REGISTRY_UNAVAILABLE'"
  }

  critical {
    operator              = "above"
    threshold             = 0.05
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

# ---- Evidence bus ----
resource "newrelic_nrql_alert_condition" "enforcer_evidence_emit_errors" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "EnforcerEvidenceEmitErrors"
  description                  = "Evidence publishing errors above 0.05/s for 5 minutes."
  runbook_url                  = "${local.runbooks}/evidence-bus-unavailable.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120
  fill_option                  = "static"
  fill_value                   = 0

  nrql {
    query = "SELECT rate(sum(enforcer_evidence_emit_errors_total), 1 second) FROM Metric FACET topic"
  }

  critical {
    operator              = "above"
    threshold             = 0.05
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

# ---- Enforcer down / not ready / stale policies ----
resource "newrelic_nrql_alert_condition" "enforcer_down" {
  policy_id                      = newrelic_alert_policy.page.id
  type                           = "static"
  name                           = "EnforcerDown"
  description                    = "No enforcer scrape target up for 5 minutes (or no data at all)."
  runbook_url                    = "${local.runbooks}/enforcer-down.md"
  enabled                        = true
  violation_time_limit_seconds   = 86400
  aggregation_window             = 60
  aggregation_method             = "event_timer"
  aggregation_timer              = 60
  expiration_duration            = 300
  open_violation_on_expiration   = true
  close_violations_on_expiration = false

  nrql {
    query = "SELECT max(up) FROM Metric WHERE job = '${var.enforcer_job}'"
  }

  critical {
    operator              = "below"
    threshold             = 1
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

resource "newrelic_nrql_alert_condition" "enforcer_not_ready" {
  policy_id                    = newrelic_alert_policy.ticket.id
  type                         = "static"
  name                         = "EnforcerNotReady"
  description                  = "An enforcer instance reports not ready for 5 minutes."
  runbook_url                  = "${local.runbooks}/policy-store-unavailable.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT min(enforcer_ready) FROM Metric FACET instance"
  }

  critical {
    operator              = "below"
    threshold             = 1
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

resource "newrelic_nrql_alert_condition" "enforcer_policy_snapshot_stale" {
  policy_id                    = newrelic_alert_policy.ticket.id
  type                         = "static"
  name                         = "EnforcerPolicySnapshotStale"
  description                  = "An enforcer has not refreshed its policy snapshot for over 15 minutes."
  runbook_url                  = "${local.runbooks}/policy-store-unavailable.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT max(enforcer_policy_snapshot_age_seconds) FROM Metric FACET instance"
  }

  critical {
    operator              = "above"
    threshold             = 900
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

# ---- SLO: evidence completeness >= 99.99% (burn rate on sliding windows) ----
resource "newrelic_nrql_alert_condition" "evidence_completeness_burn_fast" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "EvidenceCompletenessBudgetBurnFast"
  description                  = "Share of observed raw records without evidence over 1 hour is above 14.4x the 0.01% budget."
  runbook_url                  = "${local.runbooks}/evidence-completeness-slo.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 3600
  slide_by                     = 300
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT 1 - sum(enforcer_evidence_emitted_total) / sum(enforcer_raw_records_observed_total) FROM Metric"
  }

  critical {
    operator              = "above"
    threshold             = 14.4 * local.completeness_ok
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

resource "newrelic_nrql_alert_condition" "evidence_completeness_burn_slow" {
  policy_id                    = newrelic_alert_policy.ticket.id
  type                         = "static"
  name                         = "EvidenceCompletenessBudgetBurnSlow"
  description                  = "Share of observed raw records without evidence over 6 hours is above 6x the 0.01% budget."
  runbook_url                  = "${local.runbooks}/evidence-completeness-slo.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 21600
  slide_by                     = 1800
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT 1 - sum(enforcer_evidence_emitted_total) / sum(enforcer_raw_records_observed_total) FROM Metric"
  }

  critical {
    operator              = "above"
    threshold             = 6 * local.completeness_ok
    threshold_duration    = 1800
    threshold_occurrences = "all"
  }
}

# ---- SLO: evidence latency p95 < 2 s ----
resource "newrelic_nrql_alert_condition" "evidence_latency_p95_high" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "EvidenceLatencyP95High"
  description                  = "p95 of evidence broker time minus raw broker time above 2000 ms for 10 minutes."
  runbook_url                  = "${local.runbooks}/evidence-latency-slo.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 300
  slide_by                     = 60
  aggregation_method           = "event_flow"
  aggregation_delay            = 120

  nrql {
    query = "SELECT bucketPercentile(enforcer_evidence_latency_ms_bucket, 95) FROM Metric"
  }

  critical {
    operator              = "above"
    threshold             = 2000
    threshold_duration    = 600
    threshold_occurrences = "all"
  }
}

# Signal Engine dataset health (docs/signals.md): the engine's per-dataset breach gauges.
resource "newrelic_nrql_alert_condition" "dataset_freshness_slo_breached" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "DatasetFreshnessSloBreached"
  description                  = "The newest record of a dataset has been older than its freshness_slo_sec for 5 minutes."
  runbook_url                  = "${local.runbooks}/dataset-health.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60

  nrql {
    query = "SELECT max(signals_dataset_breached) FROM Metric WHERE kind = 'FRESHNESS' FACET dataset"
  }

  critical {
    operator              = "above_or_equals"
    threshold             = 1
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

resource "newrelic_nrql_alert_condition" "dataset_evidence_gap" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "DatasetEvidenceGap"
  description                  = "No evidence of a dataset in complete minutes for 5 minutes while traffic is expected (Signal Engine)."
  runbook_url                  = "${local.runbooks}/dataset-health.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60

  nrql {
    query = "SELECT max(signals_dataset_breached) FROM Metric WHERE kind = 'EVIDENCE_GAP' FACET dataset"
  }

  critical {
    operator              = "above_or_equals"
    threshold             = 1
    threshold_duration    = 300
    threshold_occurrences = "all"
  }
}

resource "newrelic_nrql_alert_condition" "dataset_undeclared_pii" {
  policy_id                    = newrelic_alert_policy.page.id
  type                         = "static"
  name                         = "DatasetUndeclaredPii"
  description                  = "Records of a dataset carry PII their contract does not declare (UNDECLARED_PII) above its undeclared_pii_max for 1 minute (Signal Engine)."
  runbook_url                  = "${local.runbooks}/dataset-health.md"
  enabled                      = true
  violation_time_limit_seconds = 86400
  aggregation_window           = 60

  nrql {
    query = "SELECT max(signals_dataset_breached) FROM Metric WHERE kind = 'PII' FACET dataset"
  }

  critical {
    operator              = "above_or_equals"
    threshold             = 1
    threshold_duration    = 60
    threshold_occurrences = "all"
  }
}
