/**
 * Resolution rule checks (pure). Two datasets may share a source only when both rules carry
 * extraction rules and these differ: otherwise some record would resolve to both.
 */
import type { ResolutionRule } from '../models/index.js';
import { compilePattern, patternProblem } from '../workers/gates/patterns.js';

export interface RuleProblem {
  index: number;
  message: string;
}

export interface RuleConflict {
  index: number;
  rule: ResolutionRule;
  other: ResolutionRule;
}

/** Problems the TypeBox model cannot express (regex compiles, HEADER shape, ...). */
export function ruleProblems(datasetUrn: string, rules: readonly ResolutionRule[]): RuleProblem[] {
  const out: RuleProblem[] = [];
  rules.forEach((r, index) => {
    if (r.dataset_urn !== datasetUrn) out.push({ index, message: `dataset_urn must be ${datasetUrn}` });
    // The gate's own compile (RE2): refused here exactly when the gate could not run it.
    const patternIssue = r.source_type === 'TOPIC_PATTERN' ? patternProblem(r.source_value) : null;
    if (patternIssue !== null) out.push({ index, message: `source_value is ${patternIssue}` });
    if (r.source_type === 'HEADER' && !/^[^=]+=.*$/.test(r.source_value)) {
      out.push({ index, message: 'HEADER source_value must be <header name>=<value>' });
    }
    if (r.source_type === 'TOPIC' && !/^[a-zA-Z0-9._-]{1,249}$/.test(r.source_value)) {
      out.push({ index, message: 'TOPIC source_value must be a Kafka topic name' });
    }
  });
  return out;
}

/** On RE2, as the gate matches: a hostile pattern cannot stall the control plane either. */
function wholeMatch(pattern: string, topic: string): boolean {
  const c = compilePattern(pattern);
  return c.ok && c.re.testExact(topic);
}

/** Could both rules match the same record, ignoring extraction rules? */
export function sourcesOverlap(a: ResolutionRule, b: ResolutionRule): boolean {
  if (a.source_type === b.source_type) return a.source_value === b.source_value;
  // A topic pattern and a concrete topic overlap when the pattern matches that topic;
  // two different patterns are undecidable in general, and treated as distinct.
  if (a.source_type === 'TOPIC' && b.source_type === 'TOPIC_PATTERN') return wholeMatch(b.source_value, a.source_value);
  if (a.source_type === 'TOPIC_PATTERN' && b.source_type === 'TOPIC') return wholeMatch(a.source_value, b.source_value);
  return false;
}

export function disambiguated(a: ResolutionRule, b: ResolutionRule): boolean {
  return a.extraction_rule !== undefined && b.extraction_rule !== undefined && a.extraction_rule !== b.extraction_rule;
}

/** Conflicts of `rules` (for one dataset) with the rules other datasets already hold. */
export function findConflicts(rules: readonly ResolutionRule[], others: readonly ResolutionRule[]): RuleConflict[] {
  const out: RuleConflict[] = [];
  rules.forEach((rule, index) => {
    for (const other of others) {
      if (other.dataset_urn === rule.dataset_urn) continue;
      if (sourcesOverlap(rule, other) && !disambiguated(rule, other)) out.push({ index, rule, other });
    }
  });
  return out;
}
