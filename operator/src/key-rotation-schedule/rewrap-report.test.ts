import type { RewrapProgress } from '@parley/keyring';
import { describe, expect, it } from 'vitest';
import { minimumAllowedByRewrap, rewrapCondition, rewrapRequeueMs, rewrapStatus } from './rewrap-report.ts';

const now = new Date('2026-11-28T12:00:00Z');
const progress = (over: Partial<RewrapProgress>): RewrapProgress => ({
  _id: 'acme/default',
  tenant: 'acme',
  keyName: 'default',
  state: 'Running',
  targetVersion: 3,
  pass: 1,
  passStartedAt: now,
  settledAt: now,
  fields: [
    {
      id: 'auth.users.totp.sealedSecret',
      total: 10,
      examined: 4,
      rewrapped: 3,
      current: 1,
      otherKey: 0,
      conflicts: 0,
      failed: 0,
      finished: false,
    },
    {
      id: 'auth.auth_signing_keys.sealedPrivateKey',
      total: 2,
      examined: 0,
      rewrapped: 0,
      current: 0,
      otherKey: 0,
      conflicts: 0,
      failed: 0,
      finished: false,
    },
  ],
  rewrappedForTarget: 3,
  failures: [],
  completedVersion: 2,
  updatedAt: now,
  ...over,
});

describe('rewrap report', () => {
  it('sums the fields into done and remaining counts', () => {
    expect(rewrapStatus(progress({}))).toMatchObject({
      state: 'Running',
      targetVersion: 3,
      completedVersion: 2,
      rewrapped: 3,
      total: 12,
      remaining: 8,
      failed: 0,
      fields: [
        { id: 'auth.users.totp.sealedSecret', remaining: 6, rewrapped: 3 },
        { id: 'auth.auth_signing_keys.sealedPrivateKey', remaining: 2, rewrapped: 0 },
      ],
    });
  });

  it('says True only when done, with reasons a person can act on otherwise', () => {
    expect(rewrapCondition(progress({}), 'default')).toMatchObject({
      status: 'False',
      reason: 'Progressing',
      message: expect.stringContaining('8 of 12 ciphertexts left to examine'),
    });
    expect(rewrapCondition(progress({ state: 'Done', completedVersion: 3 }), 'default')).toMatchObject({
      status: 'True',
      reason: 'Complete',
    });
    const failed = progress({
      state: 'Failed',
      nextPassAt: new Date('2026-11-28T12:05:00Z'),
      failures: [{ field: 'auth.users.totp.sealedSecret', id: 'u1', code: 'decryption-failed' }],
    });
    failed.fields[0] = { ...(failed.fields[0] as RewrapProgress['fields'][number]), failed: 1 };
    expect(rewrapCondition(failed, 'default')).toMatchObject({
      status: 'False',
      reason: 'RewrapFailed',
      message: expect.stringContaining('auth.users.totp.sealedSecret u1: decryption-failed'),
    });
    expect(
      rewrapCondition(
        progress({ state: 'Waiting', nextPassAt: new Date('2026-11-28T12:01:00Z') }),
        'default',
      ),
    ).toMatchObject({
      status: 'False',
      reason: 'Verifying',
      message: expect.stringContaining('2026-11-28T12:01:00Z'),
    });
  });

  it('looks again soon while running, at the next pass when waiting, not at all when done', () => {
    expect(rewrapRequeueMs(progress({}), now)).toBe(1000);
    expect(
      rewrapRequeueMs(progress({ state: 'Waiting', nextPassAt: new Date(now.getTime() + 30_000) }), now),
    ).toBe(30_000);
    expect(rewrapRequeueMs(progress({ state: 'Done' }), now)).toBeUndefined();
  });

  it('raises the minimum only as far as the rewrap has proved, never lowers it', () => {
    expect(minimumAllowedByRewrap(3, 1, undefined)).toBe(1);
    expect(minimumAllowedByRewrap(3, 1, 2)).toBe(2);
    expect(minimumAllowedByRewrap(3, 1, 5)).toBe(3);
    expect(minimumAllowedByRewrap(2, 4, 1)).toBe(4);
  });
});
