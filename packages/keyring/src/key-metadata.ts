/**
 * What the keyring tells its callers about a key, and the shapes of its operations' options and
 * results. toMetadata folds a key's snapshot (and its usage counters) into the public view.
 */
import type { KeySnapshot } from './key-snapshot.ts';
import type { KeyState } from './key-store.ts';

export interface KeyVersionInfo {
  version: number;
  createdAt: Date;
  masterKeyId: string;
  /** Uses reserved so far (an upper bound of actual uses). */
  usage: number;
  /** False once the key is destroyed: the material is gone. */
  available: boolean;
}

export interface KeyMetadata {
  tenant: string;
  keyName: string;
  state: KeyState;
  primaryVersion: number;
  minDecryptionVersion: number;
  versions: KeyVersionInfo[];
  destroyAt?: Date;
  waitingDays?: number;
  destroyedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface RotateOptions {
  /** Two calls with one request key rotate once (e.g. the schedule slot "2026-11-28T00:00Z"). */
  requestKey?: string;
}

export interface RotateResult {
  version: number;
  /** False when the request key had already rotated the key. */
  rotated: boolean;
  metadata: KeyMetadata;
}

export interface DataKey {
  /** 32 bytes; use it, then forget it. Never log or store it. */
  plaintext: Buffer;
  /** The data key wrapped by the tenant key version (ciphertext kind 2); store this. */
  wrapped: Buffer;
  keyName: string;
  keyVersion: number;
}

export interface EncryptOptions {
  keyName?: string;
  /** Caller's additional authenticated data: must be given again, identical, to decrypt. */
  aad?: Uint8Array;
}

export interface RewrapResult {
  ciphertext: Buffer;
  /** The key version the result is sealed or wrapped under. */
  keyVersion: number;
  /** False when it was already under the primary version (returned unchanged). */
  rewrapped: boolean;
}

export function toMetadata(snapshot: KeySnapshot, usage: Map<number, number> = new Map()): KeyMetadata {
  const lifecycle = snapshot.lifecycle;
  return {
    tenant: snapshot.tenant,
    keyName: snapshot.keyName,
    state: snapshot.state,
    primaryVersion: snapshot.primaryVersion,
    minDecryptionVersion: snapshot.minDecryptionVersion,
    versions: snapshot.summaries.map((summary) => ({
      version: summary.version,
      createdAt: summary.createdAt,
      masterKeyId: summary.masterKeyId,
      usage: usage.get(summary.version) ?? 0,
      available: snapshot.versions.has(summary.version),
    })),
    ...(snapshot.state === 'pending-destruction' && lifecycle?.destroyAt
      ? { destroyAt: lifecycle.destroyAt, waitingDays: lifecycle.waitingDays ?? 0 }
      : {}),
    ...(snapshot.state === 'destroyed' && lifecycle ? { destroyedAt: lifecycle.createdAt } : {}),
    createdAt: snapshot.createdAt,
    updatedAt: snapshot.updatedAt,
  };
}
