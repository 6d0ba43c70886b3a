/**
 * The official JSON-Schema-Test-Suite (required cases, no remote refs) through the SCHEMA gate:
 * the goals of issue 16 per draft. scripts/setup extracts the suite; without it this fails
 * (CI runs setup first), it never skips.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DRAFTS, runDraft, suiteDir, table } from '../../../perf/json-schema-suite.js';

test('JSON-Schema-Test-Suite: >= 99.5% of required cases per draft, 100% of object-instance groups', () => {
  const dir = suiteDir();
  assert.ok(existsSync(join(dir, 'tests')), `no JSON-Schema-Test-Suite at ${dir}: run scripts/setup`);
  const results = DRAFTS.map((d) => runDraft(dir, d));
  console.log(table(results));
  for (const r of results) {
    assert.ok(r.cases > 500, `${r.draft}: only ${r.cases} cases found`);
    assert.ok(r.passed / r.cases >= 0.995, `${r.draft}: ${r.passed}/${r.cases}\n${r.failures.join('\n')}`);
    assert.equal(r.objectPassed, r.objectCases, `${r.draft}: object-instance groups\n${r.failures.join('\n')}`);
  }
});
