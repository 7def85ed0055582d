/**
 * Ten single-use recovery codes, shown once and stored only as hashes. Each has 100 random bits
 * (twenty base32 characters in four groups): with the 50 bits codes used to have, a leaked
 * user document let anyone find its codes offline by trying all 2^50 through the fast hash (about
 * a day on one GPU). At 100 bits that search is out of reach, so a fast hash still suffices, and
 * checking a code stays one hash (argon2id per stored code would cost ten slow hashes per
 * guess, which anyone could make the service do). Online guessing is stopped by the brute-force
 * guard; the user id in the hash makes a table built for one user useless for another. Codes of
 * two groups issued before this still verify (the same hash), until they are used or replaced.
 */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const RECOVERY_CODE_COUNT = 10;
/** Groups of five base32 characters (5 bits each) per code: 100 bits. */
export const RECOVERY_CODE_GROUPS = 4;

function randomGroup(length: number): string {
  const bytes = randomBytes(length);
  return [...bytes].map((byte) => ALPHABET[byte & 31]).join('');
}

export function newRecoveryCodes(): string[] {
  // 32 divides 256, so `byte & 31` is uniform: every character carries its full 5 bits.
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: RECOVERY_CODE_GROUPS }, () => randomGroup(5)).join('-'),
  );
}

export function hashRecoveryCode(userId: string, code: string): string {
  return createHash('sha256')
    .update(`parley.recovery-code.v1\0${userId}\0${code.toLowerCase()}`)
    .digest('hex');
}
