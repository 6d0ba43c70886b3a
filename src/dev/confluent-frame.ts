/**
 * Confluent framing for producers of test, demo and benchmark records: magic byte 0, the
 * 4-byte big-endian global schema id, then (Protobuf only) the message-index list as zig-zag
 * varints ([0] as the single byte 0), then the payload. The enforcer's reader is
 * src/workers/gates/envelope.ts + src/workers/protobuf.ts.
 */

function zigzagVarint(n: number, out: number[]): void {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** `messageIndexes` only for Protobuf payloads. */
export function confluentFrame(id: number, payload: Uint8Array, messageIndexes?: number[]): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  if (messageIndexes === undefined) return Buffer.concat([head, payload]);
  const mi: number[] = [];
  if (messageIndexes.length === 1 && messageIndexes[0] === 0) mi.push(0);
  else {
    zigzagVarint(messageIndexes.length, mi);
    for (const i of messageIndexes) zigzagVarint(i, mi);
  }
  return Buffer.concat([head, Buffer.from(mi), payload]);
}
