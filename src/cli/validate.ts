/**
 * `signal-factory validate`: the gate pipeline with no Kafka (INTERFACE.md). Each input line
 * (a file, or stdin) is one record's value; one evidence event per line goes to stdout as
 * NDJSON, in input order. Exit 0 when every record passes, 1 when any fails, 2 for a usage or
 * configuration error. Runs the same pipeline as the workers, in process.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import Schema from 'typebox/schema';
import { DataContractInput } from '../models/contract.js';
import { DatasetPolicyInput } from '../models/policy.js';
import type { RawRecord } from '../workers/gates/types.js';
import { compileSnapshot, evaluateRecord } from '../workers/pipeline.js';
import type { PolicySnapshot, RegistrySchema } from '../workers/protocol.js';

const HELP = `Usage: signal-factory validate --policy <policy.json> [options] [file]

Runs the gate pipeline over records, one record value per input line (file or stdin),
and prints one evidence event per line (NDJSON). Exit 0: all PASS; 1: any FAIL; 2: usage/config error.

Options:
  --policy <file>     dataset policy JSON (required)            [env SF_VALIDATE_POLICY]
  --schema <file>     writer schema: JSON Schema, or Avro (.avsc) [env SF_VALIDATE_SCHEMA]
  --contract <file>   data contract JSON                         [env SF_VALIDATE_CONTRACT]
  --topic <name>      raw topic the records come from [validate.input] [env SF_VALIDATE_TOPIC]
  -h, --help          this help
`;

class UsageError extends Error {
  readonly code = 'USAGE';
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${path} is not JSON: ${(err as Error).message}`);
  }
}

function checkModel(validator: ReturnType<typeof Schema.Compile>, value: unknown, what: string): void {
  if (validator.Check(value)) return;
  const [, errors] = validator.Errors(value);
  const first = errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
  throw new UsageError(`${what} is invalid: ${first.join('; ')}`);
}

/** A deterministic Glue-style version UUID for a local schema file. */
function versionId(definition: string): string {
  const h = createHash('sha256').update(definition).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

async function buildSnapshot(opts: {
  policy: string;
  schema?: string;
  contract?: string;
  topic: string;
}): Promise<PolicySnapshot> {
  const policy = (await readJson(opts.policy, 'policy')) as Record<string, unknown>;
  const { version, updated_at, updated_by, ...input } = policy;
  checkModel(Schema.Compile(DatasetPolicyInput as never), input, `policy ${opts.policy}`);
  const schemas: RegistrySchema[] = [];
  if (opts.schema !== undefined) {
    const doc = await readJson(opts.schema, 'schema');
    const definition = JSON.stringify(doc);
    const avro = opts.schema.endsWith('.avsc');
    const schemaId =
      (input.schema_id as string | undefined) ??
      `glue:${basename(opts.schema)
        .replace(/\.[^.]*$/, '')
        .replace(/[^A-Za-z0-9._-]/g, '_')}:1`;
    input.schema_id = schemaId;
    const [, name, num] = schemaId.split(':');
    schemas.push({
      schema_id: schemaId,
      version_id: versionId(definition),
      schema_name: name,
      version_number: Number(num),
      data_format: avro ? 'AVRO' : 'JSON',
      definition,
      compatibility: 'NONE',
    });
  } else if (input.schema_id !== undefined) {
    throw new UsageError(`the policy names schema ${String(input.schema_id)}: pass it with --schema <file>`);
  }
  const contracts = [];
  if (opts.contract !== undefined) {
    const c = (await readJson(opts.contract, 'contract')) as Record<string, unknown>;
    const { created_at, created_by, ...cInput } = c;
    checkModel(Schema.Compile(DataContractInput as never), cInput, `contract ${opts.contract}`);
    input.contract_id = cInput.contract_id;
    contracts.push({
      ...(cInput as unknown as DataContractInput),
      created_at: new Date(0).toISOString(),
      created_by: 'validate',
    });
  } else if (input.contract_id !== undefined) {
    throw new UsageError(`the policy names contract ${String(input.contract_id)}: pass it with --contract <file>`);
  }
  const urn = input.dataset_urn as string;
  return {
    version: 1,
    policies: [
      {
        ...(input as unknown as DatasetPolicyInput),
        version: typeof version === 'number' ? version : 1,
        updated_at: typeof updated_at === 'string' ? updated_at : new Date(0).toISOString(),
        updated_by: typeof updated_by === 'string' ? updated_by : 'validate',
      },
    ],
    resolution: [{ source_type: 'TOPIC', source_value: opts.topic, dataset_urn: urn, resolution_confidence: 'HIGH' }],
    contracts,
    schemas,
    unavailable_schemas: [],
    ops: { global: { safe_mode: false }, datasets: {} },
    identity_keys: {},
  };
}

async function readInput(file: string | undefined): Promise<Buffer> {
  if (file !== undefined) {
    try {
      return await readFile(file);
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Splits on LF (bytes, so invalid UTF-8 reaches the ENVELOPE gate intact); a final newline ends the last line. */
function lines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, start)) {
    out.push(buf.subarray(start, i > start && buf[i - 1] === 13 ? i - 1 : i));
    start = i + 1;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`signal-factory validate: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = process.env;
  const policy = values.policy ?? env.SF_VALIDATE_POLICY;
  if (policy === undefined || positionals.length > 1) {
    process.stderr.write(
      `signal-factory validate: ${policy === undefined ? '--policy is required' : 'at most one input file'}\n\n${HELP}`,
    );
    return 2;
  }
  const topic = values.topic ?? env.SF_VALIDATE_TOPIC ?? 'validate.input';
  let snapshot: PolicySnapshot;
  let input: Buffer;
  try {
    snapshot = await buildSnapshot({
      policy,
      schema: values.schema ?? env.SF_VALIDATE_SCHEMA,
      contract: values.contract ?? env.SF_VALIDATE_CONTRACT,
      topic,
    });
    input = await readInput(positionals[0]);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`signal-factory validate: ${err.message}\n`);
    return 2;
  }
  const snap = compileSnapshot(snapshot);
  for (const w of snap.warnings) process.stderr.write(`signal-factory validate: warning: ${w}\n`);
  const now = Date.now();
  const nowJson = `"${new Date(now).toISOString()}"`;
  let failed = false;
  const out: string[] = [];
  const records = lines(input);
  for (let i = 0; i < records.length; i++) {
    const rec: RawRecord = {
      topic,
      partition: 0,
      offset: i,
      timestamp: now,
      key: null,
      value: records[i],
      headerNames: [],
      headerValues: [],
      otel: null,
    };
    const r = evaluateRecord(snap, rec, nowJson);
    if (!r.verdict.pass) failed = true;
    out.push(r.evidence);
    if (out.length >= 512) await write(out.splice(0));
  }
  await write(out);
  return failed ? 1 : 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      policy: { type: 'string' },
      schema: { type: 'string' },
      contract: { type: 'string' },
      topic: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function write(docs: string[]): Promise<void> {
  if (docs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) =>
    process.stdout.write(`${docs.join('\n')}\n`, (err) => (err ? reject(err) : resolve())),
  );
}
