/**
 * Protobuf writer schemas, compiled once per snapshot with protobufjs from the registry's
 * schema text and its references (each reference is a .proto file the text imports; the
 * google/protobuf well-known types come with protobufjs). Field names keep their .proto case,
 * so CONTRACT and PII paths read like the schema (`customer.address.zip`).
 *
 * Confluent framing selects the message with a list of indexes after the schema id: zig-zag
 * varints, a count then the path through the file's top-level messages and their nested ones
 * ([0] is written as the single byte 0). Unframed and Glue-framed payloads use the first message.
 */
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';

export interface CompiledProtobuf {
  /** The file's top-level messages, in declaration order (message index [i]). */
  messages: protobuf.Type[];
}

/** How a decoded message becomes the plain value the gates read (per-version, never per record). */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  bytes: String,
  defaults: true,
};

/** Bound on the message-index list (a nesting depth no real schema reaches). */
const MAX_INDEXES = 32;

const FIRST = [0];

/** protobufjs's bundled google/protobuf/*.proto, added once per root when imported. */
function addWellKnown(root: protobuf.Root, imports: string[] | undefined, added: Set<string>): void {
  for (const name of imports ?? []) {
    if (added.has(name) || !name.startsWith('google/protobuf/')) continue;
    const json = protobuf.common.get(name);
    if (json?.nested) root.addJSON(json.nested as Record<string, protobuf.AnyNestedObject>);
    added.add(name);
  }
}

/** Compiles a .proto text with its references; throws with the parser's message when it cannot. */
export function compileProtobuf(
  definition: string,
  references: { name: string; definition: string }[] | undefined,
): CompiledProtobuf {
  const opts = { keepCase: true };
  // The declaration order of the file's own messages: parsed alone, before its imports join it.
  const own = protobuf.parse(definition, new protobuf.Root(), opts);
  const ns = own.package ? own.root.lookup(own.package) : own.root;
  const ownNames = ((ns as protobuf.Namespace | null)?.nestedArray ?? [])
    .filter((n): n is protobuf.Type => n instanceof protobuf.Type)
    .map((t) => t.fullName);
  if (ownNames.length === 0) throw new Error('the schema declares no message');
  const root = new protobuf.Root();
  const added = new Set<string>();
  for (const ref of references ?? []) {
    if (added.has(ref.name)) continue;
    added.add(ref.name);
    addWellKnown(root, protobuf.parse(ref.definition, root, opts).imports, added);
  }
  addWellKnown(root, protobuf.parse(definition, root, opts).imports, added);
  root.resolveAll(); // an import that was not supplied leaves a type unresolved: throws here
  return { messages: ownNames.map((n) => root.lookupType(n)) };
}

export function protobufFingerprint(
  definition: string,
  references: { name: string; definition: string }[] | undefined,
): string {
  const h = createHash('sha256').update(definition);
  for (const r of references ?? []) h.update('\u0000').update(r.name).update('\u0000').update(r.definition);
  return `sha256:${h.digest('hex')}`;
}

/** A zig-zag varint at `pos`: [value, next position], or null when truncated or too long. */
function readZigZag(b: Uint8Array, pos: number): [number, number] | null {
  let v = 0;
  let shift = 0;
  for (let i = pos; i < b.length && shift < 35; i++, shift += 7) {
    const byte = b[i];
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [v % 2 === 0 ? v / 2 : -(v + 1) / 2, i + 1];
  }
  return null;
}

/** The message-index list at the start of a Confluent Protobuf payload, and where the message starts. */
export function readMessageIndexes(payload: Uint8Array): { indexes: number[]; offset: number } | null {
  if (payload.length > 0 && payload[0] === 0) return { indexes: FIRST, offset: 1 };
  const count = readZigZag(payload, 0);
  if (count === null || count[0] < 0 || count[0] > MAX_INDEXES) return null;
  const indexes: number[] = [];
  let pos = count[1];
  for (let i = 0; i < count[0]; i++) {
    const r = readZigZag(payload, pos);
    if (r === null || r[0] < 0) return null;
    indexes.push(r[0]);
    pos = r[1];
  }
  return { indexes: indexes.length ? indexes : FIRST, offset: pos };
}

/** The message type a message-index path names, or undefined when it names none. */
export function messageAt(c: CompiledProtobuf, indexes: number[]): protobuf.Type | undefined {
  let t: protobuf.Type | undefined = c.messages[indexes[0]];
  for (let i = 1; i < indexes.length && t !== undefined; i++) {
    t = t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[indexes[i]];
  }
  return t;
}

export type ProtobufDecode = { ok: true; value: unknown } | { ok: false; code: string };

/** Decodes one payload (message indexes first when Confluent-framed) to a plain object. */
export function decodeProtobuf(c: CompiledProtobuf, payload: Uint8Array, framed: boolean): ProtobufDecode {
  let type = c.messages[0];
  let body = payload;
  if (framed) {
    const mi = readMessageIndexes(payload);
    const t = mi === null ? undefined : mi.indexes === FIRST ? type : messageAt(c, mi.indexes);
    if (mi === null || t === undefined) return { ok: false, code: 'PROTOBUF_MESSAGE_INDEX_INVALID' };
    type = t;
    body = payload.subarray(mi.offset);
  }
  try {
    return { ok: true, value: type.toObject(type.decode(body), TO_OBJECT) };
  } catch {
    return { ok: false, code: 'PROTOBUF_DECODE_FAILED' };
  }
}

/** JSON text of a Protobuf dataset, checked against the first message: reason codes or null. */
export function verifyJson(c: CompiledProtobuf, value: unknown): string[] | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['TYPE_MISMATCH'];
  const problem = c.messages[0].verify(value as Record<string, unknown>);
  if (problem === null) return null;
  // protobufjs says `<field>: <what> expected` (nested: `<field>.<field>: ...`).
  const colon = problem.indexOf(':');
  return [colon > 0 ? `TYPE_MISMATCH:${problem.slice(0, colon)}` : 'SCHEMA_MISMATCH'];
}

/** Wire types by scalar type: a field whose number keeps its wire type reads the same bytes. */
const WIRE: Record<string, string> = {
  int32: 'varint',
  int64: 'varint',
  uint32: 'varint',
  uint64: 'varint',
  bool: 'varint',
  sint32: 'zigzag32',
  sint64: 'zigzag64',
  fixed32: 'i32',
  sfixed32: 'i32',
  float: 'i32',
  fixed64: 'i64',
  sfixed64: 'i64',
  double: 'i64',
  string: 'len',
  bytes: 'len',
};

function kindOf(f: protobuf.Field): string {
  if (f.map) return `map<${(f as unknown as protobuf.MapField).keyType},${f.type}>`;
  const rt = f.resolvedType;
  const base = rt instanceof protobuf.Enum ? 'varint' : rt instanceof protobuf.Type ? `msg:${rt.name}` : WIRE[f.type];
  return f.repeated ? `repeated ${base}` : base;
}

/**
 * Can `reader` read what `writer` wrote? Field by field number, message by message (the same
 * top-level names): a number whose wire type changed is incompatible at the reader's field path.
 * Added and removed fields are compatible (absent fields read as defaults), as in Confluent's rules.
 */
export function protobufIncompatibilities(reader: CompiledProtobuf, writer: CompiledProtobuf): string[] {
  const out: string[] = [];
  const seen = new Set<protobuf.Type>();
  const byName = new Map(writer.messages.map((t) => [t.name, t]));
  for (const r of reader.messages) {
    const w = byName.get(r.name);
    if (w !== undefined) compareTypes(r, w, '', out, seen);
  }
  return out;
}

function compareTypes(r: protobuf.Type, w: protobuf.Type, prefix: string, out: string[], seen: Set<protobuf.Type>) {
  if (seen.has(r)) return;
  seen.add(r);
  for (const rf of r.fieldsArray) {
    const wf = w.fieldsById[rf.id];
    if (wf === undefined) continue;
    const path = prefix === '' ? rf.name : `${prefix}.${rf.name}`;
    const rk = kindOf(rf);
    const wk = kindOf(wf);
    const rt = rf.resolvedType;
    const wt = wf.resolvedType;
    if (
      rt instanceof protobuf.Type &&
      wt instanceof protobuf.Type &&
      !rf.map &&
      !wf.map &&
      rf.repeated === wf.repeated
    ) {
      compareTypes(rt, wt, path, out, seen);
    } else if (rk !== wk) out.push(path);
  }
}
