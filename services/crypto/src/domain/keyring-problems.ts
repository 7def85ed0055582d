/**
 * The keyring's typed errors as problem details: each class has a stable `code` (the problem
 * type's slug) and an HTTP status, so an unknown version answers 404, a destroyed key 410, and a
 * tampered or misplaced ciphertext 400 `decryption-failed` — never a 500, never garbage.
 */

import { KeyringError, KeyUnderLegalHoldError } from '@parley/keyring';
import { ProblemError } from '@parley/kit';
import { InvalidTenantIdError } from '@parley/tenancy';

const titles: Record<string, string> = {
  'unknown-key': 'Unknown key',
  'unknown-key-version': 'Unknown key version',
  'key-destroyed': 'Key destroyed',
  'key-pending-destruction': 'Key pending destruction',
  'decryption-failed': 'Decryption failed',
  'key-version-retired': 'Key version retired',
  'invalid-key-request': 'Invalid key request',
  'key-state-conflict': 'Key state conflict',
  'master-key-unavailable': 'Master key unavailable',
  'master-key-mismatch': 'Master key mismatch',
  'legal-hold': 'Under legal hold',
};

/** The problem for a keyring error, or undefined for anything else (left to the generic handler). */
export function keyringProblem(error: unknown): ProblemError | undefined {
  if (error instanceof KeyringError) {
    // A hold refusal names the holds (id and reason): the legal exemption the caller must cite.
    const extensions =
      error instanceof KeyUnderLegalHoldError
        ? { holds: error.holds.map((hold) => ({ id: hold.id, reason: hold.reason })) }
        : {};
    return new ProblemError(
      error.httpStatus,
      error.code,
      titles[error.code] ?? 'Key error',
      error.message,
      extensions,
    );
  }
  if (error instanceof InvalidTenantIdError) {
    return new ProblemError(400, 'invalid-tenant', 'Invalid tenant', error.message);
  }
  return undefined;
}
