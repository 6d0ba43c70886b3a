/**
 * What every gate file exports as `spec`: its name, the reason codes it can emit (code ->
 * meaning) and `run`, which judges one record. The registry (gates/index.ts) lists the specs in
 * the design's order; it drives the pipeline's loop, the ops toggles, the tests and
 * docs/reason-codes.md (a unit test holds the two equal both ways).
 */
import type { GateName } from '../../models/gates.js';
import type { RecordJudgement } from '../judgement.js';
import type { ReasonCodeTable } from './types.js';

export interface GateSpec {
  readonly name: GateName;
  readonly reasonCodes: ReasonCodeTable;
  /**
   * Reason codes for this record, or null when the gate has nothing to say (passes, or cannot
   * judge: a payload that did not decode is ENVELOPE's failure, not SCHEMA's). RESOLUTION runs
   * first and sets the record's dataset; the others run only for a record with a policy.
   */
  run(j: RecordJudgement): string[] | null;
}
