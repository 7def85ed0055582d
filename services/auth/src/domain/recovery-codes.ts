/**
 * Ten single-use recovery codes, shown once and stored only as hashes. Each has 50 random bits
 * (ten base32 characters), so a keyed fast hash suffices: online guessing is stopped by the
 * brute-force guard, and the user id in the hash makes a table built for one user useless for
 * another.
 */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const RECOVERY_CODE_COUNT = 10;

function randomGroup(length: number): string {
  const bytes = randomBytes(length);
  return [...bytes].map((byte) => ALPHABET[byte & 31]).join('');
}

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => `${randomGroup(5)}-${randomGroup(5)}`);
}

export function hashRecoveryCode(userId: string, code: string): string {
  return createHash('sha256')
    .update(`parley.recovery-code.v1\0${userId}\0${code.toLowerCase()}`)
    .digest('hex');
}
