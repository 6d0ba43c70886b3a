/**
 * The gate registry (src/workers/gates/index.ts) and docs/reason-codes.md say the same thing,
 * both ways: every code a gate can emit is documented under its gate with the registry's
 * meaning, and every documented row is a code some gate (or the main thread's fallback) emits.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FALLBACK_GATE, FALLBACK_REASON_CODES } from '../../../src/main/fallback-evidence.js';
import { GATES } from '../../../src/models/gates.js';
import { GATE_SPECS } from '../../../src/workers/gates/index.js';

const doc = readFileSync(new URL('../../../../docs/reason-codes.md', import.meta.url), 'utf8');
const [gateSection, fallbackSection] = doc.split('## Emitted outside the gate workers');

/** Rows of a section's table, `GATE CODE` -> meaning: | GATE | `CODE[:<path>]` | meaning | */
function rows(section: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of section.split('\n')) {
    const m = l.match(/^\|\s*([A-Z]+)\s*\|\s*`([A-Z0-9_]+)(?::<[^`]*>|\[:<path>\])?`\s*\|\s*(.+?)\s*\|$/);
    if (m) {
      assert.ok(!out.has(`${m[1]} ${m[2]}`), `${m[1]} ${m[2]} is listed once`);
      out.set(`${m[1]} ${m[2]}`, m[3]);
    }
  }
  return out;
}

/** A code's meaning as the doc shows it: the table's text without its `CODE:<path>: ` lead. */
const meaning = (code: string, text: string) => text.replace(new RegExp(`^${code}(?::<[^>]*>|\\[:<path>\\])?: `), '');

test('the registry lists one spec per gate, in the design order', () => {
  assert.deepEqual(
    GATE_SPECS.map((g) => g.name),
    [...GATES],
  );
});

test('docs/reason-codes.md documents exactly the registry codes, with their meanings', () => {
  const fromRegistry = new Map<string, string>();
  for (const g of GATE_SPECS)
    for (const [code, text] of Object.entries(g.reasonCodes))
      fromRegistry.set(`${g.name} ${code}`, meaning(code, text));
  const fromDoc = rows(gateSection);
  assert.deepEqual(
    [...fromRegistry.keys()].filter((k) => !fromDoc.has(k)),
    [],
    'codes missing from the doc',
  );
  assert.deepEqual(
    [...fromDoc.keys()].filter((k) => !fromRegistry.has(k)),
    [],
    'documented codes no gate emits',
  );
  for (const [k, text] of fromRegistry) assert.equal(fromDoc.get(k), text, `${k}: the doc's meaning is the registry's`);
});

test('docs/reason-codes.md documents exactly the main thread fallback codes', () => {
  const fromDoc = rows(fallbackSection);
  assert.deepEqual(
    [...fromDoc.keys()].sort(),
    Object.keys(FALLBACK_REASON_CODES)
      .map((c) => `${FALLBACK_GATE} ${c}`)
      .sort(),
  );
  for (const [code, text] of Object.entries(FALLBACK_REASON_CODES))
    assert.equal(fromDoc.get(`${FALLBACK_GATE} ${code}`), text, code);
});

test('every meaning says something', () => {
  for (const g of GATE_SPECS)
    for (const [code, text] of Object.entries(g.reasonCodes)) assert.ok(text.length > 10, `${g.name} ${code}`);
});
