#!/usr/bin/env python3
"""Collect every PromQL expression the chart renders into one Prometheus rules file, so that
`promtool check rules` parses them: PrometheusRule groups as they are, and each AnalysisTemplate
prometheus query as a recording rule.

usage: extract_promql.py OUT.yml RENDERED.yaml...   (prints the number of expressions)
"""
import re
import sys

import yaml


def main():
    out, files = sys.argv[1], sys.argv[2:]
    groups = []
    seen = set()  # the same rule rendered by several value sets is parsed once

    def fresh(rules):
        keep = []
        for r in rules:
            key = (r.get("record") or r.get("alert"), str(r["expr"]))
            if key not in seen:
                seen.add(key)
                keep.append(r)
        return keep

    for path in files:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                kind, name = doc.get("kind"), doc["metadata"]["name"]
                if kind == "PrometheusRule":
                    for g in doc["spec"].get("groups", []):
                        g = dict(g)
                        g["name"] = f"{path}:{g['name']}"
                        g["rules"] = fresh(g.get("rules", []))
                        if g["rules"]:
                            groups.append(g)
                elif kind == "AnalysisTemplate":
                    rules = []
                    for m in doc["spec"]["metrics"]:
                        prom = m.get("provider", {}).get("prometheus")
                        if prom:
                            record = "analysis:" + re.sub(r"[^a-zA-Z0-9_]", "_", m["name"])
                            rules.append({"record": record, "expr": prom["query"]})
                    rules = fresh(rules)
                    if rules:
                        groups.append({"name": f"{path}:{name}", "rules": rules})
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False)
    print(sum(len(g.get("rules", [])) for g in groups))


if __name__ == "__main__":
    main()
