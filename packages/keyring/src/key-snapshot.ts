/**
 * A key as read from its records: versions, primary (the greatest version), minimum decryption
 * version (the greatest minimum record), and state (the last lifecycle record). Pure: tests can
 * check the folding without a database.
 */
import { KeyDestroyedError } from './errors.ts';
import type { KeyRecord, KeyState, LifecycleRecord, VersionRecord, VersionSummary } from './key-store.ts';

export interface KeySnapshot {
  tenant: string;
  keyName: string;
  versions: Map<number, VersionRecord>;
  primaryVersion: number;
  minDecryptionVersion: number;
  state: KeyState;
  /** The last lifecycle record, if any (its seq is where the next transition goes). */
  lifecycle?: LifecycleRecord;
  /** Every version's metadata, including destroyed ones. */
  summaries: VersionSummary[];
  createdAt: Date;
  updatedAt: Date;
}

/** Folds a key's records (in any order); undefined when the key never existed. */
export function foldKeyRecords(
  tenant: string,
  keyName: string,
  records: KeyRecord[],
): KeySnapshot | undefined {
  const versions = new Map<number, VersionRecord>();
  let minimum = 1;
  let lifecycle: LifecycleRecord | undefined;
  let createdAt: Date | undefined;
  let updatedAt: Date | undefined;
  for (const record of records) {
    if (record.record === 'usage') continue;
    if (!createdAt || record.createdAt < createdAt) createdAt = record.createdAt;
    if (!updatedAt || record.createdAt > updatedAt) updatedAt = record.createdAt;
    if (record.record === 'version') versions.set(record.version, record);
    else if (record.record === 'minimum') minimum = Math.max(minimum, record.minDecryptionVersion);
    else if (record.record === 'lifecycle' && (!lifecycle || record.seq > lifecycle.seq)) lifecycle = record;
  }
  const destroyed = lifecycle?.action === 'destroy';
  if (!createdAt || !updatedAt || (versions.size === 0 && !destroyed)) return undefined;
  const summaries = new Map<number, VersionSummary>();
  for (const summary of lifecycle?.versions ?? []) summaries.set(summary.version, summary);
  for (const v of versions.values()) {
    summaries.set(v.version, { version: v.version, masterKeyId: v.masterKeyId, createdAt: v.createdAt });
  }
  const state: KeyState = destroyed
    ? 'destroyed'
    : lifecycle?.action === 'schedule'
      ? 'pending-destruction'
      : 'enabled';
  return {
    tenant,
    keyName,
    // A destroyed key keeps no material, even if a racing writer added some (the sweeper deletes it).
    versions: destroyed ? new Map() : versions,
    primaryVersion: Math.max(0, ...summaries.keys()),
    minDecryptionVersion: minimum,
    state,
    ...(lifecycle ? { lifecycle } : {}),
    summaries: [...summaries.values()].sort((a, b) => a.version - b.version),
    createdAt,
    updatedAt,
  };
}

/** A destroyed key answers nothing but its metadata. */
export function assertNotDestroyed(snapshot: KeySnapshot): void {
  if (snapshot.state === 'destroyed') throw new KeyDestroyedError(snapshot.tenant, snapshot.keyName);
}
