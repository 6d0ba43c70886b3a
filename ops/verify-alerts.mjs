#!/usr/bin/env node
// Structural checks for the observability assets, run by scripts/verify-alerts (which also runs
// promtool). Prints one line per check: "ok <what>" or "not ok <what>: <why>". Exit 1 if any failed.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rel = (p) => join(root, p);
let failed = 0;
const check = (what, fn) => {
  try {
    const why = fn();
    if (why) {
      failed++;
      console.log(`not ok ${what}: ${why}`);
    } else console.log(`ok ${what}`);
  } catch (err) {
    failed++;
    console.log(`not ok ${what}: ${err.message}`);
  }
};

// Every metric the design (section 9.2) and issue 6 name; each must appear in the Grafana dashboard.
const METRICS = [
  "enforcer_consumer_lag",
  "enforcer_records_total",
  "enforcer_gate_failures_total",
  "enforcer_eval_latency_ms_bucket",
  "enforcer_evidence_emit_errors_total",
  "policy_cache_hit_ratio",
  "enforcer_evidence_latency_ms_bucket",
  "enforcer_raw_records_observed_total",
  "enforcer_evidence_emitted_total",
  "enforcer_ready",
  "enforcer_policy_snapshot_age_seconds",
  "enforcer_quarantine_writes_total",
  "enforcer_inflight_records",
  "enforcer_paused_partitions",
];

const plain = parse(readFileSync(rel("ops/prometheus/signal-factory.rules.yml"), "utf8"));
const alerts = plain.groups.flatMap((g) => g.rules.filter((r) => r.alert));

check(`alert rules: every alert has severity critical|warning, summary, description (${alerts.length} alerts)`, () => {
  const bad = alerts.filter(
    (a) =>
      !["critical", "warning"].includes(a.labels?.severity) || !a.annotations?.summary || !a.annotations?.description,
  );
  return bad.length ? `incomplete: ${bad.map((a) => a.alert).join(", ")}` : "";
});

check("alert rules: every runbook_url names an existing docs/runbooks/*.md", () => {
  const bad = alerts.filter((a) => {
    const url = a.annotations?.runbook_url ?? "";
    return !/^docs\/runbooks\/[a-z0-9-]+\.md$/.test(url) || !existsSync(rel(url));
  });
  return bad.length ? bad.map((a) => `${a.alert} -> ${a.annotations?.runbook_url}`).join(", ") : "";
});

check("alert rules: the four section 9.4 conditions and the two SLOs are present", () => {
  const need = [
    "EnforcerCriticalLagTier1",
    "EnforcerEvidenceGap",
    "EnforcerContractBreakageSpike",
    "EnforcerSchemaRegistryUnavailable",
    "EvidenceCompletenessBudgetBurnFast",
    "EvidenceCompletenessBudgetBurnSlow",
    "EvidenceLatencyP95High",
    "EnforcerEvidenceEmitErrors",
    "EnforcerDown",
  ];
  const names = new Set(alerts.map((a) => a.alert));
  const missing = need.filter((n) => !names.has(n));
  return missing.length ? `missing ${missing.join(", ")}` : "";
});

// Tests: every alert needs at least one case expecting it to fire and one expecting silence.
const testDir = rel("ops/prometheus/tests");
const cases = [];
for (const f of readdirSync(testDir).filter((f) => /\.ya?ml$/.test(f))) {
  const doc = parse(readFileSync(join(testDir, f), "utf8"));
  for (const t of doc.tests ?? []) for (const c of t.alert_rule_test ?? []) cases.push(c);
}
check("promtool tests: every alert has a firing case and a silent case", () => {
  const bad = alerts
    .map((a) => a.alert)
    .filter((n) => {
      const mine = cases.filter((c) => c.alertname === n);
      return !mine.some((c) => c.exp_alerts?.length) || !mine.some((c) => !c.exp_alerts?.length);
    });
  return bad.length ? `lacking a positive or negative case: ${bad.join(", ")}` : "";
});

// Runbooks: one per failure mode of design section 11, each linking alert, metric and action.
const RUNBOOKS = [
  "enforcer-down",
  "registry-unavailable",
  "policy-store-unavailable",
  "consumer-lag",
  "upstream-producer-regression",
  "evidence-bus-unavailable",
];
check("runbooks: one page per section 11 failure mode, each naming an alert, a metric and an ops action", () => {
  const bad = [];
  for (const r of RUNBOOKS) {
    const p = rel(`docs/runbooks/${r}.md`);
    if (!existsSync(p)) {
      bad.push(`${r}: missing`);
      continue;
    }
    const text = readFileSync(p, "utf8");
    const hasAlert = alerts.some((a) => text.includes(a.alert));
    const hasMetric = METRICS.some((m) => text.includes(m.replace(/_bucket$/, "")));
    const hasAction = /\/v1\/(ops\/global|datasets\/)/.test(text);
    if (!hasAlert || !hasMetric || !hasAction) bad.push(`${r}: alert=${hasAlert} metric=${hasMetric} action=${hasAction}`);
  }
  return bad.join("; ");
});

// Dashboards.
const panelsOf = (d) => (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
check("grafana: ops/grafana/enforcer.json is valid JSON with uid, title and panels with PromQL targets", () => {
  const d = JSON.parse(readFileSync(rel("ops/grafana/enforcer.json"), "utf8"));
  if (!d.uid || !d.title) return "uid/title missing";
  const panels = panelsOf(d).filter((p) => p.type !== "row");
  if (panels.length < 10) return `only ${panels.length} panels`;
  const noTargets = panels.filter((p) => p.type !== "text" && !(p.targets ?? []).every((t) => t.expr));
  if (noTargets.length) return `panels without expr: ${noTargets.map((p) => p.title).join(", ")}`;
  const ids = panels.map((p) => p.id);
  if (new Set(ids).size !== ids.length) return "duplicate panel ids";
  return "";
});
check("grafana: every enforcer metric appears in a panel", () => {
  const d = JSON.parse(readFileSync(rel("ops/grafana/enforcer.json"), "utf8"));
  const exprs = panelsOf(d)
    .flatMap((p) => p.targets ?? [])
    .map((t) => t.expr)
    .join("\n");
  const missing = METRICS.filter((m) => !exprs.includes(m));
  return missing.length ? `missing ${missing.join(", ")}` : "";
});
check("new relic: ops/newrelic/dashboard.json is valid JSON with pages, widgets and NRQL", () => {
  const d = JSON.parse(readFileSync(rel("ops/newrelic/dashboard.json"), "utf8"));
  const widgets = (d.pages ?? []).flatMap((p) => p.widgets ?? []);
  if (!d.name || widgets.length < 8) return `name=${d.name} widgets=${widgets.length}`;
  const bad = widgets.filter(
    (w) => !(w.rawConfiguration?.nrqlQueries ?? []).length && w.visualization?.id !== "viz.markdown",
  );
  return bad.length ? `widgets without NRQL: ${bad.map((w) => w.title).join(", ")}` : "";
});
check("new relic: terraform conditions are balanced, link existing runbooks and cover every critical alert", () => {
  const dir = rel("ops/newrelic");
  const tf = readdirSync(dir).filter((f) => f.endsWith(".tf"));
  if (!tf.length) return "no .tf files";
  const bad = [];
  let conditions = 0;
  const names = new Set();
  for (const f of tf) {
    const text = readFileSync(join(dir, f), "utf8").replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/gm, "");
    const depth = [...text].reduce((n, c) => n + (c === "{" ? 1 : c === "}" ? -1 : 0), 0);
    if (depth !== 0) bad.push(`${f}: unbalanced braces`);
    const raw = readFileSync(join(dir, f), "utf8");
    conditions += (raw.match(/resource\s+"newrelic_nrql_alert_condition"/g) ?? []).length;
    for (const m of raw.matchAll(/(?:docs\/runbooks|\$\{local\.runbooks\})\/([a-z0-9-]+\.md)/g)) {
      if (!existsSync(rel(`docs/runbooks/${m[1]}`))) bad.push(`${f}: runbook ${m[1]} missing`);
    }
    for (const block of raw.split(/(?=^resource\s)/m).filter((b) => b.startsWith('resource "newrelic_nrql_alert_condition"'))) {
      const name = block.match(/^\s*name\s*=\s*"([^"]+)"/m)?.[1];
      names.add(name);
      if (!/^\s*runbook_url\s*=/m.test(block)) bad.push(`${f}: ${name} has no runbook_url`);
      if (!/\bnrql\s*\{[^}]*query\s*=/.test(block)) bad.push(`${f}: ${name} has no nrql query`);
      if (!/\b(critical|warning)\s*\{/.test(block)) bad.push(`${f}: ${name} has no threshold term`);
    }
  }
  if (conditions < 8) bad.push(`only ${conditions} newrelic_nrql_alert_condition resources`);
  // The same signals as the Prometheus alerts: every critical Prometheus alert has an NRQL twin.
  const missing = alerts.filter((a) => a.labels?.severity === "critical" && !names.has(a.alert)).map((a) => a.alert);
  if (missing.length) bad.push(`no NRQL condition for ${missing.join(", ")}`);
  return bad.join("; ");
});

process.exit(failed ? 1 : 0);
