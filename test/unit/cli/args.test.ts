/** Each rejection of the shared argument handling, message by message (piscina's option-validation style). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, isUsageOrConfig, oneOf, parseCommandArgs, UsageError } from '../../../src/cli/args.js';

const options = { policy: { type: 'string' }, 'dry-run': { type: 'boolean' } } as const;

function rejection(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  assert.fail('expected a rejection');
}

test('an unknown option names itself and the closest known one', () => {
  assert.deepEqual(
    rejection(() => parseCommandArgs(['--polcy', 'x'], options)),
    { code: 'USAGE', message: 'unknown option --polcy; did you mean --policy?' },
  );
  assert.deepEqual(
    rejection(() => parseCommandArgs(['--dryrun'], options)),
    { code: 'USAGE', message: 'unknown option --dryrun; did you mean --dry-run?' },
  );
  assert.deepEqual(
    rejection(() => parseCommandArgs(['--zzzzzz'], options)),
    {
      code: 'USAGE',
      message: 'unknown option --zzzzzz',
    },
  );
  assert.deepEqual(
    rejection(() => parseCommandArgs(['-x'], options)),
    { code: 'USAGE', message: 'unknown option -x' },
  );
});

test('a missing value and an unexpected argument are usage errors that name them', () => {
  assert.deepEqual(
    rejection(() => parseCommandArgs(['--policy'], options)),
    {
      code: 'USAGE',
      message: "Option '--policy <value>' argument missing",
    },
  );
  assert.deepEqual(
    rejection(() => parseCommandArgs(['stray'], options)),
    {
      code: 'USAGE',
      message: 'unexpected argument "stray"',
    },
  );
  assert.deepEqual(
    rejection(() => parseCommandArgs(['--help=yes'], options)),
    {
      code: 'USAGE',
      message: "Option '-h, --help' does not take an argument",
    },
  );
});

test('every command gets --help/-h; positionals only when allowed', () => {
  assert.equal(parseCommandArgs(['-h'], options).values.help, true);
  assert.deepEqual(parseCommandArgs(['--policy', 'p', 'in.ndjson'], options, true).positionals, ['in.ndjson']);
});

test('enum values: the error lists the allowed values; an option is USAGE, a variable CONFIG_INVALID', () => {
  assert.equal(oneOf('--mode', 'b', ['a', 'b']), 'b');
  assert.deepEqual(
    rejection(() => oneOf('--mode', 'c', ['a', 'b'])),
    { code: 'USAGE', message: '--mode must be one of a, b; got "c"' },
  );
  assert.deepEqual(
    rejection(() => oneOf('SF_APPLY_DRY_RUN', 'yes', ['1', 'true', '0', 'false'])),
    {
      code: 'CONFIG_INVALID',
      message: 'SF_APPLY_DRY_RUN must be one of 1, true, 0, false; got "yes"',
    },
  );
});

test('did you mean: small edits and unique prefixes, nothing for unrelated words', () => {
  const commands = ['control-plane', 'enforcer', 'demo', 'validate', 'apply', 'help'];
  assert.equal(closest('valdate', commands), 'validate');
  assert.equal(closest('enforcr', commands), 'enforcer');
  assert.equal(closest('control', commands), 'control-plane');
  assert.equal(closest('aply', commands), 'apply');
  assert.equal(closest('xyz', commands), undefined);
  assert.equal(closest('kubernetes', commands), undefined);
});

test('usage and configuration errors are told apart from failures by code', () => {
  assert.equal(isUsageOrConfig(new UsageError('x')), true);
  assert.equal(isUsageOrConfig(Object.assign(new Error('x'), { code: 'CONFIG_INVALID' })), true);
  assert.equal(isUsageOrConfig(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false);
  assert.equal(isUsageOrConfig(undefined), false);
});
