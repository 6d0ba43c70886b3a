#!/usr/bin/env node
// Generates ops/prometheus/rules.yaml (a PrometheusRule custom resource, monitoring.coreos.com/v1)
// from the plain rules file ops/prometheus/signal-factory.rules.yml, which is the source of truth.
//
//   node ops/prometheus/gen-prometheusrule.mjs           # (re)write rules.yaml
//   node ops/prometheus/gen-prometheusrule.mjs --check   # exit 1 unless rules.yaml's spec.groups
//                                                        # equals the plain file's groups
// Run from the repository root or anywhere: paths are resolved from this file. Uses the `yaml`
// package from the repository's node_modules.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { parse, stringify } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const plainPath = join(here, "signal-factory.rules.yml");
const crPath = join(here, "rules.yaml");

const plain = parse(readFileSync(plainPath, "utf8"));
if (!plain || !Array.isArray(plain.groups)) {
  console.error(`${plainPath}: no groups`);
  process.exit(1);
}

if (process.argv.includes("--check")) {
  let cr;
  try {
    cr = parse(readFileSync(crPath, "utf8"));
  } catch (err) {
    console.error(`${crPath}: ${err.message}`);
    process.exit(1);
  }
  const problems = [];
  if (cr?.apiVersion !== "monitoring.coreos.com/v1") problems.push(`apiVersion is ${cr?.apiVersion}`);
  if (cr?.kind !== "PrometheusRule") problems.push(`kind is ${cr?.kind}`);
  if (!cr?.metadata?.name) problems.push("metadata.name is missing");
  if (!isDeepStrictEqual(cr?.spec?.groups, plain.groups)) {
    problems.push("spec.groups differs from signal-factory.rules.yml (run: node ops/prometheus/gen-prometheusrule.mjs)");
  }
  if (problems.length) {
    for (const p of problems) console.error(`${crPath}: ${p}`);
    process.exit(1);
  }
  console.log(`${crPath}: PrometheusRule matches signal-factory.rules.yml (${plain.groups.length} groups)`);
  process.exit(0);
}

const cr = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: {
    name: "signal-factory",
    labels: {
      "app.kubernetes.io/name": "signal-factory",
      "app.kubernetes.io/part-of": "signal-factory",
      "app.kubernetes.io/component": "alerting-rules",
      // Matched by a Prometheus CR's ruleSelector; adjust to your Prometheus Operator install.
      role: "alert-rules",
    },
  },
  spec: { groups: plain.groups },
};
const header =
  "# GENERATED from ops/prometheus/signal-factory.rules.yml by ops/prometheus/gen-prometheusrule.mjs.\n" +
  "# Do not edit by hand: edit the plain rules file and regenerate (scripts/verify-alerts checks they match).\n";
writeFileSync(crPath, header + stringify(cr, { lineWidth: 0 }));
console.log(`wrote ${crPath}`);
