import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GATES } from '../../../src/models/gates.js';
import * as compatibility from '../../../src/workers/gates/compatibility.js';
import * as contract from '../../../src/workers/gates/contract.js';
import * as envelope from '../../../src/workers/gates/envelope.js';
import * as identity from '../../../src/workers/gates/identity.js';
import * as pii from '../../../src/workers/gates/pii.js';
import * as resolution from '../../../src/workers/gates/resolution.js';
import * as schema from '../../../src/workers/gates/schema.js';
import { PIPELINE_REASON_CODES } from '../../../src/workers/pipeline.js';

const modules = [resolution, identity, envelope, schema, compatibility, contract, pii];
const doc = readFileSync(new URL('../../../../docs/reason-codes.md', import.meta.url), 'utf8');

/** Rows of the doc's table: | GATE | `CODE` | meaning | */
const rows = new Set(
  doc
    .split('\n')
    .map((l) => l.match(/^\|\s*([A-Z]+)\s*\|\s*`([A-Z0-9_]+)(?::<[^`]*>)?(?:\[:<path>\])?`\s*\|\s*(.+?)\s*\|$/))
    .filter((m) => m !== null)
    .map((m) => `${m![1]} ${m![2]}`),
);

test('every gate module exports its GATE, in the design order', () => {
  assert.deepEqual(
    modules.map((m) => m.GATE),
    [...GATES],
  );
});

for (const m of modules) {
  const codes = { ...m.REASON_CODES, ...(m.GATE === 'RESOLUTION' ? PIPELINE_REASON_CODES : {}) };
  for (const code of Object.keys(codes)) {
    test(`docs/reason-codes.md lists ${m.GATE} ${code}`, () => assert.ok(rows.has(`${m.GATE} ${code}`)));
    test(`${m.GATE} ${code} has a meaning`, () => assert.ok((codes as Record<string, string>)[code].length > 10));
  }
}
