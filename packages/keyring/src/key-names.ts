/**
 * Names a caller chooses: key names (a tenant's "default" key, or "subject:<userId>" for one
 * person's key, which crypto-shredding destroys) and purposes (bound into every ciphertext, so
 * data sealed for "messages.body" cannot be opened as "audit.pii").
 */
import { KEY_NAME_PATTERN, PURPOSE_PATTERN } from '@parley/contracts';
import { InvalidKeyRequestError } from './errors.ts';

export const DEFAULT_KEY_NAME = 'default';
export const SUBJECT_KEY_PREFIX = 'subject:';

// One definition of what a name may be, shared with the HTTP schemas.
export { KEY_NAME_PATTERN, PURPOSE_PATTERN };

const keyNameRegex = new RegExp(KEY_NAME_PATTERN);
const purposeRegex = new RegExp(PURPOSE_PATTERN);

export function assertKeyName(keyName: unknown): string {
  if (typeof keyName !== 'string' || !keyNameRegex.test(keyName)) {
    throw new InvalidKeyRequestError(
      `Invalid key name ${JSON.stringify(keyName)}: a lower-case name, optionally followed by ':<id>' (e.g. "default", "subject:u-123")`,
    );
  }
  return keyName;
}

export function assertPurpose(purpose: unknown): string {
  if (typeof purpose !== 'string' || !purposeRegex.test(purpose)) {
    throw new InvalidKeyRequestError(
      `Invalid purpose ${JSON.stringify(purpose)}: lower-case letters, digits, '.', '_' or '-', at most 64 (e.g. "messages.body")`,
    );
  }
  return purpose;
}

/** The key that holds one person's personal data; destroying it crypto-shreds that person. */
export function subjectKeyName(userId: string): string {
  return assertKeyName(`${SUBJECT_KEY_PREFIX}${userId}`);
}
