/**
 * Every way a key operation can be refused, as a typed error with a stable `code`. The crypto
 * service maps each to problem details (see `httpStatus`); other callers switch on the class.
 * Messages name the key and version but never key material or plaintext.
 */
import { KeyringError } from '@parley/envelope';

// The base of every key error, and the decryption failure the ciphertext format itself raises,
// live with the format in @parley/envelope; re-exported so the keyring's errors stay one list.
export { DecryptionFailedError, KeyringError } from '@parley/envelope';

/** No key of that name exists for the tenant (call ensureTenantKey first). */
export class UnknownKeyError extends KeyringError {
  readonly code = 'unknown-key';
  readonly httpStatus = 404;
  constructor(tenant: string, keyName: string) {
    super(`Tenant ${tenant} has no key named ${keyName}`);
    this.name = 'UnknownKeyError';
  }
}

/** The ciphertext names a key version the key never had. */
export class UnknownKeyVersionError extends KeyringError {
  readonly code = 'unknown-key-version';
  readonly httpStatus = 404;
  constructor(tenant: string, keyName: string, version: number) {
    super(`Key ${keyName} of tenant ${tenant} has no version ${version}`);
    this.name = 'UnknownKeyVersionError';
  }
}

/** The key was crypto-shredded: its material is gone and the data under it is unreadable for good. */
export class KeyDestroyedError extends KeyringError {
  readonly code = 'key-destroyed';
  readonly httpStatus = 410;
  constructor(tenant: string, keyName: string) {
    super(`Key ${keyName} of tenant ${tenant} was destroyed`);
    this.name = 'KeyDestroyedError';
  }
}

/** Like AWS KMS: a key awaiting destruction can be neither used nor read until the destruction is cancelled. */
export class KeyPendingDestructionError extends KeyringError {
  readonly code = 'key-pending-destruction';
  readonly httpStatus = 409;
  readonly destroyAt: Date;
  constructor(tenant: string, keyName: string, destroyAt: Date) {
    super(
      `Key ${keyName} of tenant ${tenant} is scheduled for destruction at ${destroyAt.toISOString()}; cancel the destruction to use it`,
    );
    this.name = 'KeyPendingDestructionError';
    this.destroyAt = destroyAt;
  }
}

/** The ciphertext's key version is below the key's minimum decryption version (Vault's min_decryption_version). */
export class KeyVersionRetiredError extends KeyringError {
  readonly code = 'key-version-retired';
  readonly httpStatus = 403;
  constructor(tenant: string, keyName: string, version: number, minimum: number) {
    super(
      `Version ${version} of key ${keyName} of tenant ${tenant} is below the minimum decryption version ${minimum}; rewrap data before raising the minimum`,
    );
    this.name = 'KeyVersionRetiredError';
  }
}

/** A legal hold covers the key: it may not be scheduled for destruction, nor destroyed. */
export class KeyUnderLegalHoldError extends KeyringError {
  readonly code = 'legal-hold';
  readonly httpStatus = 409;
  readonly holds: readonly { id: string; reason: string }[];
  constructor(tenant: string, keyName: string, holds: readonly { id: string; reason: string }[]) {
    super(
      `Key ${keyName} of tenant ${tenant} is under legal hold (${holds.map((h) => `${h.id}: ${h.reason}`).join('; ')}); it cannot be destroyed until the hold is lifted`,
    );
    this.name = 'KeyUnderLegalHoldError';
    this.holds = holds;
  }
}

/** A request that can never succeed as asked: lowering the minimum version, a waiting period out of range, a bad name. */
export class InvalidKeyRequestError extends KeyringError {
  readonly code = 'invalid-key-request';
  readonly httpStatus = 400;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKeyRequestError';
  }
}

/** The request conflicts with the key's state (e.g. cancelling a destruction that is not scheduled). */
export class KeyStateConflictError extends KeyringError {
  readonly code = 'key-state-conflict';
  readonly httpStatus = 409;
  constructor(message: string) {
    super(message);
    this.name = 'KeyStateConflictError';
  }
}

/** No master key with the id a tenant key version was wrapped under is loaded. */
export class MasterKeyUnavailableError extends KeyringError {
  readonly code = 'master-key-unavailable';
  readonly httpStatus = 503;
  constructor(masterKeyId: string) {
    super(`Master key ${masterKeyId} is not loaded; mount every master key that still wraps tenant keys`);
    this.name = 'MasterKeyUnavailableError';
  }
}

/** A tenant key version does not unwrap under the loaded master key of its id: the wrong master key is mounted. */
export class MasterKeyMismatchError extends KeyringError {
  readonly code = 'master-key-mismatch';
  readonly httpStatus = 503;
  constructor(masterKeyId: string, tenant: string, keyName: string) {
    super(
      `Key ${keyName} of tenant ${tenant} does not unwrap under the loaded master key ${masterKeyId}: every process must mount the same master keys (MASTER_KEY_PATH)`,
    );
    this.name = 'MasterKeyMismatchError';
  }
}
