import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findConflicts, ruleProblems, sourcesOverlap } from '../../../src/control-plane/resolution-rules.js';
import type { ResolutionRule } from '../../../src/models/index.js';

const r = (
  urn: string,
  type: ResolutionRule['source_type'],
  value: string,
  extraction_rule?: string,
): ResolutionRule => ({
  source_type: type,
  source_value: value,
  dataset_urn: urn,
  resolution_confidence: 'HIGH',
  ...(extraction_rule ? { extraction_rule } : {}),
});
const A = 'urn:dp:a:x';
const B = 'urn:dp:b:y';

test('same source without extraction rules conflicts', () => {
  assert.equal(findConflicts([r(A, 'TOPIC', 't')], [r(B, 'TOPIC', 't')]).length, 1);
  assert.equal(findConflicts([r(A, 'TOPIC', 't', 'e=1')], [r(B, 'TOPIC', 't')]).length, 1, 'B still claims all of t');
  assert.equal(
    findConflicts([r(A, 'TOPIC', 't', 'e=1')], [r(B, 'TOPIC', 't', 'e=1')]).length,
    1,
    'same extraction rule',
  );
});

test('distinct extraction rules disambiguate; different sources do not overlap', () => {
  assert.equal(findConflicts([r(A, 'TOPIC', 't', 'e=1')], [r(B, 'TOPIC', 't', 'e=2')]).length, 0);
  assert.equal(findConflicts([r(A, 'TOPIC', 't')], [r(B, 'TOPIC', 'u')]).length, 0);
  assert.equal(findConflicts([r(A, 'TOPIC', 't')], [r(A, 'TOPIC', 't')]).length, 0, 'same dataset is no conflict');
  assert.equal(findConflicts([r(A, 'HEADER', 'h=1')], [r(B, 'SCHEMA_ID', 'h=1')]).length, 0);
});

test('a topic pattern overlaps the topics it matches, whole-name', () => {
  assert.ok(sourcesOverlap(r(A, 'TOPIC_PATTERN', 'raw\\..*'), r(B, 'TOPIC', 'raw.orders')));
  assert.ok(!sourcesOverlap(r(A, 'TOPIC_PATTERN', 'raw'), r(B, 'TOPIC', 'raw.orders')));
  assert.ok(sourcesOverlap(r(A, 'TOPIC', 'raw.orders'), r(B, 'TOPIC_PATTERN', 'raw\\.(orders|payments)')));
});

test('rule problems: urn, regex, header and topic shapes', () => {
  const problems = ruleProblems(A, [
    r(B, 'TOPIC', 't'),
    r(A, 'TOPIC_PATTERN', '(['),
    r(A, 'HEADER', 'no-equals'),
    r(A, 'TOPIC', 'bad topic'),
    r(A, 'TOPIC', 'ok'),
  ]);
  assert.deepEqual(
    problems.map((p) => p.index),
    [0, 1, 2, 3],
  );
});

test('TOPIC_PATTERN runs on RE2: a backtracking pattern cannot stall the overlap check; lookaround is refused', () => {
  const t0 = performance.now();
  assert.ok(!sourcesOverlap(r(A, 'TOPIC_PATTERN', '(a+)+'), r(B, 'TOPIC', `${'a'.repeat(60)}-`)));
  assert.ok(performance.now() - t0 < 250, 'V8 would take hours on this topic name');
  assert.deepEqual(
    ruleProblems(A, [r(A, 'TOPIC_PATTERN', 'raw\\.(?!test).*'), r(A, 'TOPIC_PATTERN', '(a+)+')]).map((p) => p.index),
    [0],
  );
});
