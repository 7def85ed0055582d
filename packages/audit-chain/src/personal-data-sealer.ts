/**
 * How personal fields are sealed before they enter the chain. The compliance service implements
 * it with packages/keyring (key `subject:<userId>` per data subject); destroying that key
 * crypto-shreds the person out of the log without touching a single hash.
 */
import type { AuditMetadata, SealedPersonalEntry } from './record/audit-record.ts';

export interface PersonalDataSealer {
  seal(tenant: string, subject: string, fields: AuditMetadata): Promise<SealedPersonalEntry>;
  /**
   * Accepts fields a producer already sealed under the subject's key: returned as stored when
   * they open, withheld when the subject is already erased; throws AuditRecordRejectedError
   * when they do not open (not ciphertext of that key, purpose and tenant).
   */
  adopt(
    tenant: string,
    entry: { subject: string; keyName: string; ciphertext: string },
  ): Promise<SealedPersonalEntry>;
  /** The fields, or undefined when the subject's key is destroyed (erased) or pending destruction. */
  open(tenant: string, entry: SealedPersonalEntry): Promise<AuditMetadata | undefined>;
}
