/** The gate registry, in the design's order (section 4): one spec per gate file (spec.ts). */
import * as compatibility from './compatibility.js';
import * as contract from './contract.js';
import * as envelope from './envelope.js';
import * as identity from './identity.js';
import * as pii from './pii.js';
import * as resolution from './resolution.js';
import * as schema from './schema.js';
import type { GateSpec } from './spec.js';

export const GATE_SPECS: readonly GateSpec[] = [
  resolution.spec,
  identity.spec,
  envelope.spec,
  schema.spec,
  compatibility.spec,
  contract.spec,
  pii.spec,
];

export type { GateSpec };
