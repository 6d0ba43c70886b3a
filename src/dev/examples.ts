/**
 * The shipped orders example (examples/orders), read the way `apply` and `validate` read it:
 * the demo, the stack bootstrap, the tests and perf all start from these files, so the
 * examples a user copies are the ones that are exercised (an integration test applies them, so
 * the types asserted here hold).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSpec } from '../common/documents.js';
import type { DataContractInput, DatasetPolicyInput, ResolutionRule } from '../models/index.js';
import { REPO_ROOT } from './services.js';

export const ORDERS_EXAMPLE_DIR = join(REPO_ROOT, 'examples', 'orders');

const file = (name: string) => join(ORDERS_EXAMPLE_DIR, name);

export const ordersExample = {
  /** The Contract document's spec. */
  contract: () => readSpec(file('contract.yaml'), 'Contract') as unknown as DataContractInput,
  /** The Policy document's spec. */
  policy: () => readSpec(file('policy.yaml'), 'Policy') as unknown as DatasetPolicyInput,
  /** The Resolution document's spec: `dataset_urn` and `rules`. */
  resolution: () =>
    readSpec(file('resolution.yaml'), 'Resolution') as unknown as { dataset_urn: string; rules: ResolutionRule[] },
  /** The writer schema registered as Glue `orders.created` (a JSON Schema). */
  schema: () =>
    JSON.parse(readFileSync(file('orders.created.schema.json'), 'utf8')) as {
      properties: Record<string, unknown>;
      [keyword: string]: unknown;
    },
  /** One record value per file, as published: `valid` passes, `invalid-missing-customer` fails CONTRACT. */
  record: (name: 'valid' | 'invalid-missing-customer') => readFileSync(file(`${name}.ndjson`), 'utf8').trim(),
};
