/**
 * RESOLUTION: maps a raw record to a dataset (design section 6.3). Rules are sorted once per
 * snapshot by specificity: a rule with an extraction rule beats one without, then HIGH >
 * MEDIUM > LOW confidence, then SCHEMA_ID > HEADER > TOPIC > TOPIC_PATTERN. The rules that can
 * match a topic are cached per topic name (patterns are tested once per topic, not per record).
 * Two different datasets matching at the same specificity is AMBIGUOUS_DATASET.
 */

import type { RE2JS } from 're2js';
import type { ResolutionRule } from '../../models/resolution.js';
import { getDotted } from './paths.js';
import { compilePattern } from './patterns.js';
import type { GateSpec } from './spec.js';
import { headerText, type RawRecord, type ReasonCodeTable } from './types.js';

export const GATE = 'RESOLUTION' as const;

export const REASON_CODES: ReasonCodeTable = {
  UNRESOLVED_DATASET:
    'No resolution rule matches the record (topic, schema version id, headers, extraction rules); dataset_urn is null.',
  AMBIGUOUS_DATASET: 'Rules of two different datasets match with the same specificity; dataset_urn is null.',
  POLICY_NOT_FOUND: 'The record resolved to a dataset that has no policy in the snapshot.',
};

const CONFIDENCE_RANK = { HIGH: 3, MEDIUM: 2, LOW: 1 } as const;
const SOURCE_RANK = { SCHEMA_ID: 4, HEADER: 3, TOPIC: 2, TOPIC_PATTERN: 1 } as const;

interface Extraction {
  header: string | null;
  path: string[];
  value: string;
}

interface Rule {
  rule: ResolutionRule;
  rank: number;
  /** TOPIC_PATTERN, on RE2 (gates/patterns.ts): a whole-name match. */
  pattern: RE2JS | null;
  headerName: string | null;
  headerValue: string | null;
  extraction: Extraction | null;
}

export interface CompiledResolution {
  rules: Rule[];
  byTopic: Map<string, Rule[]>;
}

/** What the record offers beyond its topic and headers. */
export interface ResolutionInput {
  /** Glue version id from the wire header and its `glue:<name>:<version>` id, when known. */
  schemaKeys: string[];
  /** Lazily decoded payload, only called when a matching rule has a payload extraction rule. */
  payload: () => unknown;
}

export interface Resolved {
  dataset: string | null;
  code: string | null;
  confidence: string | null;
}

function parseExtraction(s: string | undefined): Extraction | null {
  if (s === undefined) return null;
  const header = s.startsWith('header:');
  const body = header ? s.slice(7) : s;
  const eq = body.indexOf('=');
  const left = body.slice(0, eq);
  return { header: header ? left : null, path: header ? [] : left.split('.'), value: body.slice(eq + 1) };
}

export function compile(rules: ResolutionRule[]): CompiledResolution {
  const compiled: Rule[] = [];
  for (const r of rules) {
    let pattern: RE2JS | null = null;
    if (r.source_type === 'TOPIC_PATTERN') {
      const c = compilePattern(r.source_value);
      if (!c.ok) continue; // the control plane refuses such patterns; a bad one can match nothing
      pattern = c.re;
    }
    const eq = r.source_value.indexOf('=');
    const isHeader = r.source_type === 'HEADER' && eq > 0;
    compiled.push({
      rule: r,
      rank: (r.extraction_rule ? 100 : 0) + CONFIDENCE_RANK[r.resolution_confidence] * 10 + SOURCE_RANK[r.source_type],
      pattern,
      headerName: isHeader ? r.source_value.slice(0, eq) : null,
      headerValue: isHeader ? r.source_value.slice(eq + 1) : null,
      extraction: parseExtraction(r.extraction_rule),
    });
  }
  compiled.sort((a, b) => b.rank - a.rank);
  return { rules: compiled, byTopic: new Map() };
}

function candidates(c: CompiledResolution, topic: string): Rule[] {
  let list = c.byTopic.get(topic);
  if (list === undefined) {
    list = c.rules.filter((r) => {
      const t = r.rule.source_type;
      if (t === 'TOPIC') return r.rule.source_value === topic;
      if (t === 'TOPIC_PATTERN') return r.pattern!.testExact(topic);
      return true; // SCHEMA_ID and HEADER rules are checked per record
    });
    if (c.byTopic.size > 10_000) c.byTopic.clear();
    c.byTopic.set(topic, list);
  }
  return list;
}

function matches(r: Rule, rec: RawRecord, input: ResolutionInput): boolean {
  const t = r.rule.source_type;
  if (t === 'SCHEMA_ID' && !input.schemaKeys.includes(r.rule.source_value)) return false;
  if (t === 'HEADER' && (r.headerName === null || headerText(rec, r.headerName) !== r.headerValue)) return false;
  const x = r.extraction;
  if (x === null) return true;
  if (x.header !== null) return headerText(rec, x.header) === x.value;
  const v = getDotted(input.payload(), x.path);
  return v !== undefined && v !== null && typeof v !== 'object' && String(v) === x.value;
}

export function evaluate(c: CompiledResolution, rec: RawRecord, input: ResolutionInput): Resolved {
  const list = candidates(c, rec.topic);
  let best: Rule | null = null;
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (best !== null && r.rank < best.rank) break;
    if (!matches(r, rec, input)) continue;
    if (best === null) best = r;
    else if (r.rule.dataset_urn !== best.rule.dataset_urn)
      return { dataset: null, code: 'AMBIGUOUS_DATASET', confidence: null };
  }
  if (best === null) return { dataset: null, code: 'UNRESOLVED_DATASET', confidence: null };
  return { dataset: best.rule.dataset_urn, code: null, confidence: best.rule.resolution_confidence };
}

/** Sets the record's dataset; a record without one (or without a policy) stops here. */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    const res = evaluate(j.snap.resolution, j.rec, j);
    j.urn = res.dataset;
    j.ds = res.dataset !== null ? j.snap.datasets.get(res.dataset) : undefined;
    return j.ds === undefined ? [res.code ?? 'POLICY_NOT_FOUND'] : null;
  },
};
