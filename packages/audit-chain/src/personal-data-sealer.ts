/**
 * How personal fields are sealed before they enter the chain. The compliance service implements
 * it with packages/keyring (key `subject:<userId>` per data subject); destroying that key
 * crypto-shreds the person out of the log without touching a single hash.
 */
import type { AuditMetadata, SealedPersonalEntry } from './record/audit-record.ts';

export interface PersonalDataSealer {
  seal(tenant: string, subject: string, fields: AuditMetadata): Promise<SealedPersonalEntry>;
  /** The fields, or undefined when the subject's key is destroyed (erased) or pending destruction. */
  open(tenant: string, entry: SealedPersonalEntry): Promise<AuditMetadata | undefined>;
}
