/**
 * Tenant key versions at rest: each is 32 random bytes, stored only wrapped by a master key
 * (AES-256-GCM), with AAD binding tenant, key name, version and master key id, so a wrapped
 * version copied to another tenant, name or version slot does not unwrap.
 */
import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { KEY_BYTES, open, seal } from './aes-gcm.ts';
import { DecryptionFailedError, MasterKeyMismatchError, MasterKeyUnavailableError } from './errors.ts';
import type { MasterKeyring } from './master-keyring.ts';

const DOMAIN = 'parley.keyring.tenant-key.v1';

export interface WrappedTenantKey {
  version: number;
  masterKeyId: string;
  /** base64 of nonce | wrapped key | tag */
  wrappedKey: string;
  createdAt: Date;
}

function aad(tenant: string, keyName: string, version: number, masterKeyId: string): Buffer {
  return Buffer.from(JSON.stringify([DOMAIN, tenant, keyName, version, masterKeyId]), 'utf8');
}

export function newTenantKeyVersion(
  masterKeys: MasterKeyring,
  tenant: string,
  keyName: string,
  version: number,
  now: Date,
): WrappedTenantKey {
  const keyBytes = randomBytes(KEY_BYTES);
  try {
    return wrapTenantKey(masterKeys, tenant, keyName, version, keyBytes, now);
  } finally {
    keyBytes.fill(0);
  }
}

function wrapTenantKey(
  masterKeys: MasterKeyring,
  tenant: string,
  keyName: string,
  version: number,
  keyBytes: Buffer,
  createdAt: Date,
): WrappedTenantKey {
  const master = masterKeys.primary();
  const sealed = seal(master.key, keyBytes, aad(tenant, keyName, version, master.id), Buffer.alloc(0));
  return { version, masterKeyId: master.id, wrappedKey: sealed.toString('base64'), createdAt };
}

function unwrapBytes(
  masterKeys: MasterKeyring,
  tenant: string,
  keyName: string,
  stored: WrappedTenantKey,
): Buffer {
  const master = masterKeys.get(stored.masterKeyId);
  if (!master) throw new MasterKeyUnavailableError(stored.masterKeyId);
  try {
    return open(
      master,
      Buffer.from(stored.wrappedKey, 'base64'),
      0,
      aad(tenant, keyName, stored.version, stored.masterKeyId),
    );
  } catch (error) {
    // Not the caller's ciphertext at fault: this process holds another key under the same id
    // (two processes that generated their own local key, or a Secret replaced by mistake).
    if (error instanceof DecryptionFailedError)
      throw new MasterKeyMismatchError(stored.masterKeyId, tenant, keyName);
    throw error;
  }
}

/** Unwraps into a KeyObject, so the bytes cannot end up in a log line or a JSON body by accident. */
export function unwrapTenantKey(
  masterKeys: MasterKeyring,
  tenant: string,
  keyName: string,
  stored: WrappedTenantKey,
): KeyObject {
  const bytes = unwrapBytes(masterKeys, tenant, keyName, stored);
  try {
    return createSecretKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** Re-wraps one version under the primary master key (master key rotation). */
export function rewrapTenantKey(
  masterKeys: MasterKeyring,
  tenant: string,
  keyName: string,
  stored: WrappedTenantKey,
): WrappedTenantKey {
  const bytes = unwrapBytes(masterKeys, tenant, keyName, stored);
  try {
    return wrapTenantKey(masterKeys, tenant, keyName, stored.version, bytes, stored.createdAt);
  } finally {
    bytes.fill(0);
  }
}
