/**
 * The 422 checks of a policy body against the other entities, shared by the active policy's PUT
 * and the shadow candidate's PUT (a candidate must be a policy the PUT would accept as it is).
 */
import type { DatasetPolicyInput } from '../../models/index.js';
import { ApiError } from '../errors.js';
import type { SchemaRegistry } from '../schema-registry.js';
import type { ContractView } from '../schemas.js';
import type { ControlPlaneStore, Versioned } from '../store/types.js';
import { checkPolicy } from '../validation.js';

/** @param previousContractId the contract the dataset already uses (a deprecated one may stay) */
export async function checkPolicyInput(
  store: ControlPlaneStore,
  schemas: SchemaRegistry,
  input: DatasetPolicyInput,
  previousContractId: string | undefined,
): Promise<void> {
  checkPolicy(input);
  const contract =
    input.contract_id === undefined
      ? undefined
      : await store.get<ContractView & Versioned>('contract', input.contract_id);
  if (input.contract_id !== undefined && !contract) {
    throw new ApiError('UNKNOWN_CONTRACT', `contract ${input.contract_id} does not exist`, { path: '/contract_id' });
  }
  // A deprecated contract keeps serving the policies that have it; none may newly take it.
  if (contract?.deprecated_at && previousContractId !== input.contract_id) {
    throw new ApiError('CONTRACT_DEPRECATED', `contract ${input.contract_id} is deprecated: use a newer one`, {
      path: '/contract_id',
      deprecated_at: contract.deprecated_at,
      reason: contract.deprecation_reason,
    });
  }
  if (input.schema_id !== undefined && !(await schemas.exists(input.schema_id))) {
    throw new ApiError('UNKNOWN_SCHEMA', `schema ${input.schema_id} is not in the registry`, { path: '/schema_id' });
  }
}

/** 422 ID_MISMATCH unless the body names the dataset of the path. */
export function checkSameUrn(input: DatasetPolicyInput, urn: string): void {
  if (input.dataset_urn !== urn) {
    throw new ApiError('ID_MISMATCH', `body dataset_urn ${input.dataset_urn} differs from the path ${urn}`, {
      path: '/dataset_urn',
    });
  }
}
