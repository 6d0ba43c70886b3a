/**
 * The official JSON-Schema-Test-Suite (required cases, no remote refs) run through the SCHEMA
 * gate's own path: compileSchemas() then the gate's evaluate(). scripts/setup extracts the suite
 * into .cache/json-schema-test-suite (SF_JSON_SCHEMA_SUITE points elsewhere). Prints the
 * per-draft table that docs/gates.md carries; the unit test asserts the goals on the same run.
 *   npx tsc -p tsconfig.json && node dist/perf/json-schema-suite.js [--engine=ajv|typebox] [--failures]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../src/workers/gates/schema.js';
import type { Engine } from '../src/workers/json-schema.js';
import type { RegistrySchema } from '../src/workers/protocol.js';
import { compileSchemas } from '../src/workers/schemas.js';

export const DRAFTS = [
  { dir: 'draft4', name: 'draft-04', uri: 'http://json-schema.org/draft-04/schema#' },
  { dir: 'draft6', name: 'draft-06', uri: 'http://json-schema.org/draft-06/schema#' },
  { dir: 'draft7', name: 'draft-07', uri: 'http://json-schema.org/draft-07/schema#' },
  { dir: 'draft2019-09', name: '2019-09', uri: 'https://json-schema.org/draft/2019-09/schema' },
  { dir: 'draft2020-12', name: '2020-12', uri: 'https://json-schema.org/draft/2020-12/schema' },
] as const;

/** Remote refs are served by the suite's own HTTP server (localhost:1234): out of scope. */
const REMOTE = 'localhost:1234';

export interface DraftResult {
  draft: string;
  cases: number;
  passed: number;
  /** Cases of groups whose instances are all objects. */
  objectCases: number;
  objectPassed: number;
  /** Groups left out because they need a remote ref. */
  skippedGroups: number;
  failures: string[];
}

export function suiteDir(): string {
  const root = resolve(fileURLToPath(import.meta.url), '../../..');
  return process.env.SF_JSON_SCHEMA_SUITE ?? join(root, '.cache/json-schema-test-suite');
}

interface Group {
  description: string;
  schema: unknown;
  tests: { description: string; data: unknown; valid: boolean }[];
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

function registrySchema(doc: unknown, i: number): RegistrySchema {
  return {
    schema_id: `suite:${i}`,
    version_id: `suite-${i}`,
    schema_name: 'suite',
    version_number: 1,
    data_format: 'JSON',
    definition: JSON.stringify(doc),
    compatibility: 'NONE',
  } as RegistrySchema;
}

/** Runs one draft; a group's schema without `$schema` gets the draft's (the suite's convention). */
export function runDraft(dir: string, draft: (typeof DRAFTS)[number], engine?: Engine): DraftResult {
  const out: DraftResult = {
    draft: draft.name,
    cases: 0,
    passed: 0,
    objectCases: 0,
    objectPassed: 0,
    skippedGroups: 0,
    failures: [],
  };
  const base = join(dir, 'tests', draft.dir);
  let n = 0;
  for (const file of readdirSync(base)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    if (file === 'refRemote.json') continue;
    const groups = JSON.parse(readFileSync(join(base, file), 'utf8')) as Group[];
    for (const g of groups) {
      if (JSON.stringify(g.schema).includes(REMOTE)) {
        out.skippedGroups++;
        continue;
      }
      const doc =
        isObject(g.schema) && (g.schema as Record<string, unknown>).$schema === undefined
          ? { $schema: draft.uri, ...(g.schema as object) }
          : g.schema;
      const rs = registrySchema(doc, n++);
      const compiled = compileSchemas([rs], engine && (() => engine)).get(rs.version_id)!;
      const objects = g.tests.every((t) => isObject(t.data));
      for (const t of g.tests) {
        let valid: boolean;
        try {
          valid = evaluate(compiled, t.data, false) === null;
        } catch {
          valid = !t.valid; // a throw is a wrong answer either way
        }
        const pass = valid === t.valid;
        out.cases++;
        if (pass) out.passed++;
        if (objects) {
          out.objectCases++;
          if (pass) out.objectPassed++;
        }
        if (!pass)
          out.failures.push(
            `${file} | ${g.description} | ${t.description}${compiled.error ? ` [${compiled.error}: ${compiled.problem ?? ''}]` : ''}`,
          );
      }
    }
  }
  return out;
}

export const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(2)}%`);

export function table(results: DraftResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.draft} | ${r.passed}/${r.cases} | ${pct(r.passed, r.cases)} | ${r.objectPassed}/${r.objectCases} | ${pct(r.objectPassed, r.objectCases)} | ${r.skippedGroups} |`,
  );
  return [
    '| draft | passed | rate | object-instance groups | rate | groups skipped (remote refs) |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = suiteDir();
  if (!existsSync(join(dir, 'tests'))) throw new Error(`no JSON-Schema-Test-Suite at ${dir}: run scripts/setup`);
  const engine = process.argv.find((a) => a.startsWith('--engine='))?.slice(9) as Engine | undefined;
  const results = DRAFTS.map((d) => runDraft(dir, d, engine));
  console.log(`engine: ${engine ?? 'per draft (ENGINE_BY_DRAFT)'}`);
  console.log(table(results));
  if (process.argv.includes('--failures'))
    for (const r of results) for (const f of r.failures) console.log(`${r.draft}: ${f}`);
}
