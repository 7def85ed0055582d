/** Folding a key's records into its state: pure, no store. */
import { describe, expect, it } from 'vitest';
import { foldKeyRecords } from './key-snapshot.ts';
import type { KeyRecord } from './key-store.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 12, minute));
const base = { tenant: 'acme', keyName: 'default' };
const version = (v: number, minute = v): KeyRecord => ({
  ...base,
  _id: `acme/default/v${v}`,
  record: 'version',
  slot: `rotate:${v}`,
  version: v,
  masterKeyId: 'mk',
  wrappedKey: 'AAAA',
  createdAt: at(minute),
});
const minimum = (v: number): KeyRecord => ({
  ...base,
  _id: `acme/default/min/v${v}`,
  record: 'minimum',
  slot: `min:v${v}`,
  minDecryptionVersion: v,
  createdAt: at(20 + v),
});
const lifecycle = (seq: number, action: 'schedule' | 'cancel' | 'destroy'): KeyRecord => ({
  ...base,
  _id: `acme/default/s${seq}`,
  record: 'lifecycle',
  slot: `lifecycle:${seq}`,
  seq,
  action,
  ...(action === 'schedule' ? { destroyAt: at(59), waitingDays: 7 } : {}),
  ...(action === 'destroy' ? { versions: [{ version: 1, masterKeyId: 'mk', createdAt: at(1) }] } : {}),
  createdAt: at(40 + seq),
});

describe('foldKeyRecords', () => {
  it('is undefined for a key that never existed', () => {
    expect(foldKeyRecords('acme', 'default', [])).toBeUndefined();
  });

  it('takes the greatest version as primary and the greatest minimum, in any order', () => {
    const snapshot = foldKeyRecords('acme', 'default', [
      minimum(2),
      version(3),
      version(1),
      minimum(3),
      version(2),
    ]);
    expect(snapshot).toMatchObject({ primaryVersion: 3, minDecryptionVersion: 3, state: 'enabled' });
    expect(snapshot?.createdAt).toEqual(at(1));
  });

  it('follows the last lifecycle record: schedule, cancel, schedule again', () => {
    expect(foldKeyRecords('acme', 'default', [version(1), lifecycle(1, 'schedule')])?.state).toBe(
      'pending-destruction',
    );
    expect(
      foldKeyRecords('acme', 'default', [version(1), lifecycle(2, 'cancel'), lifecycle(1, 'schedule')])
        ?.state,
    ).toBe('enabled');
    expect(
      foldKeyRecords('acme', 'default', [
        version(1),
        lifecycle(1, 'schedule'),
        lifecycle(2, 'cancel'),
        lifecycle(3, 'schedule'),
      ])?.state,
    ).toBe('pending-destruction');
  });

  it('a destroyed key holds no material, even if a racing writer added a version, and keeps its metadata', () => {
    const snapshot = foldKeyRecords('acme', 'default', [
      lifecycle(1, 'schedule'),
      lifecycle(2, 'destroy'),
      version(2),
    ]);
    expect(snapshot?.state).toBe('destroyed');
    expect(snapshot?.versions.size).toBe(0);
    expect(snapshot?.summaries.map((s) => s.version)).toEqual([1, 2]);
  });
});
