/** The canonical models shared by the enforcer's main thread, its workers and the control plane. */
export * from './common.js';
export * from './contract.js';
export * from './evidence.js';
export * from './gates.js';
export * from './ops.js';
export * from './policy.js';
export * from './resolution.js';
export * from './signals.js';
export * from './snapshot.js';
