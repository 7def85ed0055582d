/**
 * Seals audit records' personal fields under the data subject's own key (keyring
 * `subject:<userId>`, purpose `audit.pii`). Once that key is scheduled for destruction or
 * destroyed (erasure), new personal fields for the person are withheld rather than stored in
 * the clear, and old ones no longer open: the log keeps its hashes and loses the person.
 */
import {
  type AuditMetadata,
  AuditRecordRejectedError,
  type PersonalDataSealer,
  type SealedPersonalEntry,
} from '@parley/audit-chain';
import { AUDIT_PII_PURPOSE } from '@parley/contracts';
import {
  ciphertextKeyVersion,
  KeyDestroyedError,
  KeyPendingDestructionError,
  type Keyring,
  KeyringError,
  KIND_SEALED,
  subjectKeyName,
  UnknownKeyError,
} from '@parley/keyring';

export { AUDIT_PII_PURPOSE };

export class KeyringSealer implements PersonalDataSealer {
  readonly #keyring: Keyring;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  async seal(tenant: string, subject: string, fields: AuditMetadata): Promise<SealedPersonalEntry> {
    const keyName = subjectKeyName(subject);
    try {
      const meta = await this.#keyring.ensureTenantKey(tenant, keyName);
      if (meta.state !== 'enabled') return { subject, keyName, ciphertext: '', withheld: 'subject-erased' };
      const ciphertext = await this.#keyring.encrypt(
        tenant,
        AUDIT_PII_PURPOSE,
        Buffer.from(JSON.stringify(fields)),
        {
          keyName,
        },
      );
      return { subject, keyName, ciphertext: ciphertext.toString('base64') };
    } catch (error) {
      if (error instanceof KeyDestroyedError || error instanceof KeyPendingDestructionError) {
        return { subject, keyName, ciphertext: '', withheld: 'subject-erased' };
      }
      throw error;
    }
  }

  async adopt(
    tenant: string,
    entry: { subject: string; keyName: string; ciphertext: string },
  ): Promise<SealedPersonalEntry> {
    const refuse = (why: string) =>
      new AuditRecordRejectedError('(sealed entry)', `personal fields of ${entry.subject} ${why}`);
    // The key that sealed the fields must be the one the entry names (the subject's own):
    // ciphertext sealed under another key (another person's, the tenant's default) would open,
    // yet survive this subject's erasure, since only `subject:<subject>` is destroyed then.
    let sealedUnder: string;
    try {
      const header = ciphertextKeyVersion(Buffer.from(entry.ciphertext, 'base64'));
      if (header.kind !== KIND_SEALED) throw refuse('are not a sealed payload');
      sealedUnder = header.keyName;
    } catch (error) {
      if (error instanceof AuditRecordRejectedError) throw error;
      throw refuse(`do not open under ${entry.keyName}`);
    }
    if (sealedUnder !== entry.keyName || entry.keyName !== subjectKeyName(entry.subject)) {
      throw refuse(`are sealed under another key than ${entry.keyName}`);
    }
    try {
      // Opened once to prove it is what it claims (never stored or logged): a producer bug that
      // put clear text here must not slip personal data past crypto-shredding.
      await this.#keyring.decrypt(tenant, AUDIT_PII_PURPOSE, Buffer.from(entry.ciphertext, 'base64'));
      return { subject: entry.subject, keyName: entry.keyName, ciphertext: entry.ciphertext };
    } catch (error) {
      if (error instanceof KeyDestroyedError || error instanceof KeyPendingDestructionError) {
        return { subject: entry.subject, keyName: entry.keyName, ciphertext: '', withheld: 'subject-erased' };
      }
      if (error instanceof KeyringError && error.httpStatus < 500) {
        throw new AuditRecordRejectedError(
          '(sealed entry)',
          `personal fields of ${entry.subject} do not open under ${entry.keyName}`,
        );
      }
      throw error;
    }
  }

  async open(tenant: string, entry: SealedPersonalEntry): Promise<AuditMetadata | undefined> {
    if (!entry.ciphertext) return undefined;
    try {
      const plaintext = await this.#keyring.decrypt(
        tenant,
        AUDIT_PII_PURPOSE,
        Buffer.from(entry.ciphertext, 'base64'),
      );
      return JSON.parse(plaintext.toString('utf8')) as AuditMetadata;
    } catch (error) {
      if (
        error instanceof KeyDestroyedError ||
        error instanceof KeyPendingDestructionError ||
        error instanceof UnknownKeyError
      ) {
        return undefined;
      }
      throw error;
    }
  }
}
