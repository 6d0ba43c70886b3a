#!/usr/bin/env python3
"""Validate every object of rendered Helm manifests.

Core kinds: kubernetes-validate (bundled OpenAPI schemas, strict: unknown fields are errors) for
each Kubernetes version given. Custom resources: the JSON Schemas vendored in k8s/schemas/ (a kind
with no schema is an error, never a skip).

usage: validate_rendered.py --schemas k8s/schemas --k8s-version 1.29.0 [--k8s-version ...] FILE...
Exit 0 when every object of every file is valid, 1 otherwise. Prints one line per file.
"""
import argparse
import json
import os
import sys

import jsonschema
import kubernetes_validate
import yaml

CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_v1alpha1_scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda.sh_v1alpha1_triggerauthentication.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_v1_prometheusrule.json",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "argoproj.io_v1alpha1_analysistemplate.json",
}


def load_validators(schema_dir):
    out = {}
    for key, name in CRD_SCHEMAS.items():
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        out[key] = cls(schema)
    return out


def describe(doc):
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind', '?')}/{meta.get('name', '?')}"


def validate_doc(doc, validators, versions):
    """Return a list of error strings for one object."""
    errors = []
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in validators:
        for err in sorted(validators[key].iter_errors(doc), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in err.absolute_path) or "(root)"
            errors.append(f"{path}: {err.message}")
        return errors
    for version in versions:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"no schema for {key[0]} {key[1]} in Kubernetes {version} nor in k8s/schemas")
            break
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path) or "(root)"
            errors.append(f"[k8s {version}] {path}: {exc.message}")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--k8s-version", action="append", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    validators = load_validators(args.schemas)
    failed = 0
    total = 0
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        kinds = {}
        file_errors = []
        for doc in docs:
            if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                file_errors.append(f"not a Kubernetes object: {str(doc)[:80]}")
                continue
            kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
            for e in validate_doc(doc, validators, args.k8s_version):
                file_errors.append(f"{describe(doc)}: {e}")
        total += len(docs)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        if file_errors:
            failed += 1
            print(f"FAIL {os.path.basename(path)}: {len(docs)} objects, {len(file_errors)} error(s)")
            for e in file_errors:
                print(f"     {e}")
        else:
            print(f"ok   {os.path.basename(path)}: {len(docs)} objects valid ({summary})")
    print(f"validated {total} objects in {len(args.files)} file(s) against Kubernetes "
          f"{', '.join(args.k8s_version)} + {len(CRD_SCHEMAS)} vendored CRD schemas: "
          f"{'ALL VALID' if not failed else f'{failed} file(s) with errors'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
