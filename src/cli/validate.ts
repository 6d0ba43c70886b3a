/**
 * `signal-factory validate`: the gate pipeline with no Kafka (INTERFACE.md). Each input line
 * (a file, or stdin) is one record's value; one evidence event per line goes to stdout as
 * NDJSON, in input order. Exit 0 when every record passes, 1 when any fails, 2 for a usage or
 * configuration error. Runs the same pipeline as the workers, in process.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import Schema from 'typebox/schema';
import { ConfigError } from '../common/config.js';
import { readDocuments, readSpec } from '../common/documents.js';
import { describeSchemaErrors } from '../common/schema-errors.js';
import { ApiError } from '../control-plane/errors.js';
import { checkContract, checkPolicy } from '../control-plane/validation.js';
import { DataContractInput } from '../models/contract.js';
import { DatasetPolicyInput } from '../models/policy.js';
import { readWireHeader } from '../workers/gates/envelope.js';
import type { RawRecord } from '../workers/gates/types.js';
import { type CompiledSnapshot, compileSnapshot, evaluateRecord } from '../workers/pipeline.js';
import type { PolicySnapshot, RegistrySchema } from '../workers/protocol.js';
import { parseCommandArgs, UsageError } from './args.js';

const HELP = `Usage: signal-factory validate --policy <file> [options] [file]

Runs the gate pipeline over records, one record value per input line (file or stdin),
and prints one evidence event per line (NDJSON); a summary (records, PASS, FAIL, top reason
codes) goes to stderr. Nothing is quarantined or republished: enforcement.action says what
the enforcer WOULD do (WOULD_QUARANTINE, WOULD_REPUBLISH, NONE).
Exit 0: all PASS; 1: any FAIL; 2: usage or configuration error (a broken policy, contract or schema).

Files are JSON (.json, .avsc) or YAML (.yaml, .yml), read as 'apply' reads them: a policy or
contract file may be the bare spec or an apply document (kind: Policy | Contract, spec: ...).
A framed value (Confluent magic byte 0 + schema id, or the Glue header) is decoded with --schema
whatever id its frame carries: the file stands for the registry.

Options:
  --policy <file>     dataset policy (required)                  [env SF_VALIDATE_POLICY]
  --schema <file>     writer schema: JSON Schema, Avro (.avsc) or Protobuf (.proto; its imports are
                      read from beside it)                       [env SF_VALIDATE_SCHEMA]
  --contract <file>   data contract; its contract_id must be the policy's [env SF_VALIDATE_CONTRACT]
  --topic <name>      raw topic the records come from [validate.input] [env SF_VALIDATE_TOPIC]
  --value-encoding <utf8|base64>
                      how each input line holds a record value: the value itself (utf8), or the
                      base64 of binary values such as Confluent- or Glue-framed Avro/Protobuf
                      [utf8]                                     [env SF_VALIDATE_VALUE_ENCODING]
  -h, --help          this help
`;

/** What validate reports instead of the enforcer's past-tense actions: nothing was done. */
const WOULD: Record<string, string> = { QUARANTINED: 'WOULD_QUARANTINE', REPUBLISHED: 'WOULD_REPUBLISH' };

function checkModel(validator: ReturnType<typeof Schema.Compile>, value: unknown, what: string): void {
  if (validator.Check(value)) return;
  throw new ConfigError(`${what} is invalid: ${describeSchemaErrors(validator.Errors(value)[1])}`);
}

/** The control plane's own 422 checks, so validate refuses what a PUT would refuse. */
function serverCheck(check: () => void, what: string): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const details = Array.isArray(err.details) ? err.details : err.details ? [err.details] : [];
    const where = details
      .map((d: { path?: string; message?: string }) => [d.path, d.message].filter(Boolean).join(' '))
      .filter(Boolean);
    throw new ConfigError(
      `${what} is invalid: [${err.code}] ${err.message}${where.length ? `: ${where.join('; ')}` : ''}`,
    );
  }
}

/** A deterministic Glue-style version UUID for a local schema file. */
function versionId(definition: string): string {
  const h = createHash('sha256').update(definition).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** One schema document from JSON or YAML, as its JSON definition text. */
function readSchema(file: string): string {
  const docs = readDocuments(file);
  if (docs.length !== 1) throw new ConfigError(`schema ${file} holds ${docs.length} documents; expected one`);
  return JSON.stringify(docs[0]);
}

/** A .proto's imports, read from beside it (transitively; google/protobuf/* come with protobufjs). */
function protoImports(file: string): { name: string; definition: string }[] {
  const out: { name: string; definition: string }[] = [];
  const seen = new Set<string>();
  const visit = (text: string) => {
    for (const m of text.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm)) {
      const name = m[1];
      if (seen.has(name) || name.startsWith('google/protobuf/')) continue;
      seen.add(name);
      let definition: string;
      try {
        definition = readFileSync(join(dirname(file), name), 'utf8');
      } catch (err) {
        throw new ConfigError(`schema ${file} imports ${name}, which cannot be read: ${(err as Error).message}`);
      }
      visit(definition);
      out.push({ name, definition });
    }
  };
  visit(readFileSync(file, 'utf8'));
  return out;
}

/** The writer schema file as a registry entry. */
function readWriterSchema(file: string): Pick<RegistrySchema, 'data_format' | 'definition' | 'references'> {
  const ext = extname(file);
  if (ext !== '.proto') return { data_format: ext === '.avsc' ? 'AVRO' : 'JSON', definition: readSchema(file) };
  let definition: string;
  try {
    definition = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read schema ${file}: ${(err as Error).message}`);
  }
  const references = protoImports(file);
  return { data_format: 'PROTOBUF', definition, references: references.length ? references : undefined };
}

function buildSnapshot(opts: {
  policy: string;
  schema?: string;
  contract?: string;
  topic: string;
  /** Writer ids the input's frames carry: each names the --schema file. */
  frameIds: Set<string>;
}): PolicySnapshot {
  const policy = readSpec(opts.policy, 'Policy');
  const { version, updated_at, updated_by, ...input } = policy;
  checkModel(Schema.Compile(DatasetPolicyInput as never), input, `policy ${opts.policy}`);
  serverCheck(() => checkPolicy(input as unknown as DatasetPolicyInput), `policy ${opts.policy}`);
  const schemas: RegistrySchema[] = [];
  if (opts.schema !== undefined) {
    const writer = readWriterSchema(opts.schema);
    const schemaId =
      (input.schema_id as string | undefined) ??
      `glue:${basename(opts.schema)
        .replace(/\.[^.]*$/, '')
        .replace(/[^A-Za-z0-9._-]/g, '_')}:1`;
    input.schema_id = schemaId;
    const [, name, num] = schemaId.split(':');
    const local: RegistrySchema = {
      schema_id: schemaId,
      version_id: versionId(writer.definition),
      schema_name: name,
      version_number: Number(num),
      ...writer,
      compatibility: 'NONE',
    };
    schemas.push(local);
    for (const id of opts.frameIds) if (id !== local.version_id) schemas.push({ ...local, version_id: id });
  } else if (input.schema_id !== undefined) {
    throw new UsageError(`the policy names schema ${String(input.schema_id)}: pass it with --schema <file>`);
  }
  const contracts = [];
  if (opts.contract !== undefined) {
    const c = readSpec(opts.contract, 'Contract');
    const { created_at, created_by, version: _v, ...cInput } = c;
    checkModel(Schema.Compile(DataContractInput as never), cInput, `contract ${opts.contract}`);
    serverCheck(() => checkContract(cInput as unknown as DataContractInput), `contract ${opts.contract}`);
    if (input.contract_id !== undefined && input.contract_id !== cInput.contract_id) {
      throw new ConfigError(
        `contract ${opts.contract} is ${String(cInput.contract_id)}, but policy ${opts.policy} names contract ${String(input.contract_id)}`,
      );
    }
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

/** A schema the pipeline could not compile is a configuration error, not a FAIL on every record. */
function checkCompiledSchema(snap: CompiledSnapshot, file: string | undefined): void {
  for (const c of new Set(snap.schemas.values())) {
    if (c.error !== undefined) {
      throw new ConfigError(`schema ${file} is invalid: [${c.error}] ${c.problem ?? 'cannot be used'}`);
    }
  }
}

async function readInput(file: string | undefined): Promise<Buffer> {
  if (file !== undefined) {
    try {
      return await readFile(file);
    } catch (err) {
      throw new ConfigError(`cannot read input ${file}: ${(err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** One base64 line (standard or URL-safe alphabet); anything else is a usage error naming the line. */
function fromBase64(line: Buffer, i: number): Buffer {
  const text = line.toString('latin1').trim();
  if (!BASE64.test(text)) throw new UsageError(`--value-encoding base64: input line ${i + 1} is not base64`);
  return Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
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
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      policy: { type: 'string' },
      schema: { type: 'string' },
      contract: { type: 'string' },
      topic: { type: 'string' },
      'value-encoding': { type: 'string' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = process.env;
  const policy = values.policy ?? (env.SF_VALIDATE_POLICY || undefined);
  if (policy === undefined) throw new UsageError('--policy <file> is required');
  if (positionals.length > 1) throw new UsageError(`at most one input file; got ${positionals.length}`);
  const topic = values.topic ?? (env.SF_VALIDATE_TOPIC || 'validate.input');
  const schemaFile = values.schema ?? (env.SF_VALIDATE_SCHEMA || undefined);
  const encoding = values['value-encoding'] ?? (env.SF_VALIDATE_VALUE_ENCODING || 'utf8');
  if (encoding !== 'utf8' && encoding !== 'base64') {
    throw new UsageError(`--value-encoding must be utf8 or base64, got "${encoding}"`);
  }
  const input = await readInput(positionals[0]);
  const records = encoding === 'base64' ? lines(input).map(fromBase64) : lines(input);
  const frameIds = new Set<string>();
  for (const r of records) {
    const h = readWireHeader(r);
    if (h !== null && typeof h === 'object') frameIds.add(h.versionId);
  }
  const snapshot = buildSnapshot({
    policy,
    schema: schemaFile,
    contract: values.contract ?? (env.SF_VALIDATE_CONTRACT || undefined),
    topic,
    frameIds,
  });
  const snap = compileSnapshot(snapshot);
  checkCompiledSchema(snap, schemaFile);
  for (const w of snap.warnings) process.stderr.write(`signal-factory validate: warning: ${w}\n`);
  const now = Date.now();
  const nowJson = `"${new Date(now).toISOString()}"`;
  const summary = new Summary();
  const out: string[] = [];
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
    summary.add(r.verdict.pass, r.gateCodes);
    out.push(wouldAction(r.evidence));
    if (out.length >= 512) await write(out.splice(0));
  }
  await write(out);
  process.stderr.write(`signal-factory validate: ${summary.line()}\n`);
  return summary.fail > 0 ? 1 : 0;
}

/** Rewrites a past-tense `enforcement.action` to what would happen: validate does nothing. */
function wouldAction(evidence: string): string {
  const at = evidence.lastIndexOf('"enforcement":{');
  if (at < 0) return evidence;
  const tail = evidence
    .slice(at)
    .replace(/"action":"(QUARANTINED|REPUBLISHED)"/, (_m, done: string) => `"action":"${WOULD[done]}"`);
  return evidence.slice(0, at) + tail;
}

/** Records, PASS, FAIL and the most frequent reason codes, for the line on stderr. */
export class Summary {
  pass = 0;
  fail = 0;
  private readonly codes = new Map<string, number>();

  add(pass: boolean, gateCodes: string[][]): void {
    if (pass) this.pass++;
    else this.fail++;
    for (const codes of gateCodes) for (const c of codes) this.codes.set(c, (this.codes.get(c) ?? 0) + 1);
  }

  line(top = 5): string {
    const total = this.pass + this.fail;
    if (total === 0) return '0 records (the input is empty)';
    const reasons = [...this.codes]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, top)
      .map(([c, n]) => `${c} (${n})`);
    return `${total} record${total === 1 ? '' : 's'}: ${this.pass} PASS, ${this.fail} FAIL${reasons.length ? `; top reasons: ${reasons.join(', ')}` : ''}`;
  }
}

function write(docs: string[]): Promise<void> {
  if (docs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) =>
    process.stdout.write(`${docs.join('\n')}\n`, (err) => (err ? reject(err) : resolve())),
  );
}
