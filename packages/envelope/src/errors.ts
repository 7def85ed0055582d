/**
 * The errors of the ciphertext format. `KeyringError` is the base of every key and ciphertext
 * error in Parley (the keyring's own extend it), with a stable `code` and the HTTP status a
 * service answers with, so every service maps alike. Messages never hold key material or
 * plaintext.
 */
export abstract class KeyringError extends Error {
  abstract readonly code: string;
  /** The HTTP status a service answers with; kept here so every service maps alike. */
  abstract readonly httpStatus: number;
}

/**
 * Authentication failed: the ciphertext was tampered with, is malformed, or belongs to another
 * tenant, purpose or additional data. Deliberately one error for all of these, so a caller
 * learns nothing about which part was wrong, and never receives garbage.
 */
export class DecryptionFailedError extends KeyringError {
  readonly code = 'decryption-failed';
  readonly httpStatus = 400;
  constructor(reason = 'the ciphertext is not authentic for this tenant, purpose and additional data') {
    super(`Decryption failed: ${reason}`);
    this.name = 'DecryptionFailedError';
  }
}
