/**
 * Tenant key versions at rest: each is 32 random bytes, stored only wrapped (AES-256-GCM), with
 * AAD binding tenant, key name, version and master key id, so a wrapped version copied to another
 * tenant, name or version slot does not unwrap.
 *
 * The wrapping key is derived from two secrets kept in two places (HKDF-SHA256): the master key
 * (a file, never in a database) and the key's own key-encryption key (KEK, in the KEK store, apart
 * from the key records; see key-encryption-keys.ts). Destroying a key deletes its KEK, so a copy of
 * the key records (a database backup) no longer unwraps even with the live master key.
 *
 * Versions written before KEKs existed (no `wrapping` field) are wrapped by the master key alone;
 * they stay readable and `Keyring.ensureIndexes()` re-wraps them with a KEK.
 */
import { createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { KEY_BYTES, open, seal } from '@parley/envelope';
import { DecryptionFailedError, MasterKeyMismatchError, MasterKeyUnavailableError } from './errors.ts';
import type { MasterKeyring } from './master-keyring.ts';

const MASTER_ONLY_DOMAIN = 'parley.keyring.tenant-key.v1';
const KEK_DOMAIN = 'parley.keyring.tenant-key.v2';

/** How a version is wrapped: `master+kek` (current); absent: the master key alone (first format). */
export const KEK_WRAPPING = 'master+kek';

export interface WrappedTenantKey {
  version: number;
  masterKeyId: string;
  /** base64 of nonce | wrapped key | tag */
  wrappedKey: string;
  /** `master+kek`; absent on versions written before KEKs (master key alone). */
  wrapping?: typeof KEK_WRAPPING;
  createdAt: Date;
}

/** Thrown when a `master+kek` version is asked to unwrap without its KEK (it was destroyed). */
export class KekMissingError extends Error {
  constructor() {
    super('the key-encryption key of this tenant key is gone');
  }
}

function aad(domain: string, tenant: string, keyName: string, version: number, masterKeyId: string): Buffer {
  return Buffer.from(JSON.stringify([domain, tenant, keyName, version, masterKeyId]), 'utf8');
}

/** HKDF over both secrets: neither the master key nor the KEK alone yields the wrapping key. */
function kekWrappingKey(master: Buffer, kek: Buffer, masterKeyId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, kek, `${KEK_DOMAIN}|${masterKeyId}`, KEY_BYTES));
}

export function newTenantKeyVersion(
  masterKeys: MasterKeyring,
  kek: Buffer,
  tenant: string,
  keyName: string,
  version: number,
  now: Date,
): WrappedTenantKey {
  const keyBytes = randomBytes(KEY_BYTES);
  try {
    return wrapTenantKey(masterKeys, kek, tenant, keyName, version, keyBytes, now);
  } finally {
    keyBytes.fill(0);
  }
}

function wrapTenantKey(
  masterKeys: MasterKeyring,
  kek: Buffer,
  tenant: string,
  keyName: string,
  version: number,
  keyBytes: Buffer,
  createdAt: Date,
): WrappedTenantKey {
  const master = masterKeys.primary();
  const wrappingKey = kekWrappingKey(master.key, kek, master.id);
  try {
    const sealed = seal(
      wrappingKey,
      keyBytes,
      aad(KEK_DOMAIN, tenant, keyName, version, master.id),
      Buffer.alloc(0),
    );
    return {
      version,
      masterKeyId: master.id,
      wrappedKey: sealed.toString('base64'),
      wrapping: KEK_WRAPPING,
      createdAt,
    };
  } finally {
    wrappingKey.fill(0);
  }
}

/**
 * The first format (master key alone), kept for the migration's tests: nothing in the keyring
 * writes it any more.
 */
export function wrapUnderMasterKeyOnly(
  masterKeys: MasterKeyring,
  tenant: string,
  keyName: string,
  version: number,
  keyBytes: Buffer,
  createdAt: Date,
): WrappedTenantKey {
  const master = masterKeys.primary();
  const sealed = seal(
    master.key,
    keyBytes,
    aad(MASTER_ONLY_DOMAIN, tenant, keyName, version, master.id),
    Buffer.alloc(0),
  );
  return { version, masterKeyId: master.id, wrappedKey: sealed.toString('base64'), createdAt };
}

function unwrapBytes(
  masterKeys: MasterKeyring,
  kek: Buffer | undefined,
  tenant: string,
  keyName: string,
  stored: WrappedTenantKey,
): Buffer {
  const master = masterKeys.get(stored.masterKeyId);
  if (!master) throw new MasterKeyUnavailableError(stored.masterKeyId);
  const sealed = Buffer.from(stored.wrappedKey, 'base64');
  try {
    if (stored.wrapping !== KEK_WRAPPING) {
      return open(
        master,
        sealed,
        0,
        aad(MASTER_ONLY_DOMAIN, tenant, keyName, stored.version, stored.masterKeyId),
      );
    }
    if (!kek) throw new KekMissingError();
    const wrappingKey = kekWrappingKey(master, kek, stored.masterKeyId);
    try {
      return open(
        wrappingKey,
        sealed,
        0,
        aad(KEK_DOMAIN, tenant, keyName, stored.version, stored.masterKeyId),
      );
    } finally {
      wrappingKey.fill(0);
    }
  } catch (error) {
    // Not the caller's ciphertext at fault: this process holds another key under the same id
    // (two processes that generated their own local key, or a Secret replaced by mistake), or the
    // KEK store is not the one the version was wrapped with.
    if (error instanceof DecryptionFailedError)
      throw new MasterKeyMismatchError(stored.masterKeyId, tenant, keyName);
    throw error;
  }
}

/** Unwraps into a KeyObject, so the bytes cannot end up in a log line or a JSON body by accident. */
export function unwrapTenantKey(
  masterKeys: MasterKeyring,
  kek: Buffer | undefined,
  tenant: string,
  keyName: string,
  stored: WrappedTenantKey,
): KeyObject {
  const bytes = unwrapBytes(masterKeys, kek, tenant, keyName, stored);
  try {
    return createSecretKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Re-wraps one version under the primary master key and the key's KEK: master key rotation, and
 * the migration of versions written under the master key alone.
 */
export function rewrapTenantKey(
  masterKeys: MasterKeyring,
  kek: Buffer,
  tenant: string,
  keyName: string,
  stored: WrappedTenantKey,
): WrappedTenantKey {
  const bytes = unwrapBytes(masterKeys, kek, tenant, keyName, stored);
  try {
    return wrapTenantKey(masterKeys, kek, tenant, keyName, stored.version, bytes, stored.createdAt);
  } finally {
    bytes.fill(0);
  }
}
