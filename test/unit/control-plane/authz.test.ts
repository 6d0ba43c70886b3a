import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canCreateContract,
  canDeprecateContract,
  canManageDataset,
  canManageGlobal,
} from '../../../src/control-plane/authz.js';

const p = (teams: string[], roles: string[] = []) => ({ sub: 'u', teams, roles });

test('admin manages everything', () => {
  assert.ok(canManageDataset(p([], ['admin']), ['a'], ['b']).ok);
  assert.ok(canManageGlobal(p([], ['admin'])).ok);
});

test('owners manage their datasets; others do not', () => {
  assert.ok(canManageDataset(p(['a']), ['a', 'b']).ok);
  assert.equal(canManageDataset(p(['c']), ['a', 'b']).ok, false);
  assert.equal(canManageDataset(p([], ['service']), ['a']).ok, false, 'service is read-only');
});

test('no handing a dataset to a team one is not in', () => {
  assert.equal(canManageDataset(p(['a']), ['a'], ['a', 'b']).ok, false);
  assert.ok(canManageDataset(p(['a', 'b']), ['a'], ['b']).ok);
  assert.ok(canManageDataset(p(['a']), ['a', 'b'], ['b']).ok, 'dropping itself leaves existing owners: allowed');
  assert.ok(canManageDataset(p(['a']), ['a', 'b'], ['a']).ok);
});

test('create: owners must be teams of the principal', () => {
  assert.ok(canManageDataset(p(['a']), undefined, ['a']).ok);
  assert.equal(canManageDataset(p(['a']), undefined, ['b']).ok, false);
  assert.equal(canManageDataset(p(['a']), undefined, ['a', 'b']).ok, false);
});

test('contracts need a team or admin; global toggles need admin', () => {
  assert.ok(canCreateContract(p(['a'])).ok);
  assert.equal(canCreateContract(p([], ['service'])).ok, false);
  assert.equal(canManageGlobal(p(['a'])).ok, false);
});

test('a contract is deprecated by its creator or an admin', () => {
  const creator = { ...p(['a']), sub: 'olga' };
  assert.ok(canDeprecateContract(creator, 'olga').ok);
  assert.equal(canDeprecateContract(p(['a']), 'olga').ok, false, 'a team member who did not create it');
  assert.ok(canDeprecateContract(p([], ['admin']), 'olga').ok);
});
