/**
 * Seals an audit record's personal fields under each data subject's own key before the record
 * leaves the process on a path that keeps copies (Kafka keeps a topic's messages for its
 * retention period; a spill file stays on disk). Crypto-shredding the subject's key then erases
 * those copies too. Pass the service's keyring (anything with these two methods); the compliance
 * service checks that each sealed entry opens before it appends the record.
 */
import { AUDIT_PII_PURPOSE, type AuditRecordInput } from '@parley/contracts';

export interface SubjectKeyEncryptor {
  ensureTenantKey(tenant: string, keyName: string): Promise<unknown>;
  encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: { keyName: string },
  ): Promise<Uint8Array>;
}

/** Keyring error codes meaning "this person is erased (or being erased)". */
const ERASED = new Set(['key-destroyed', 'key-pending-destruction']);

export async function sealPersonalFields(
  encryptor: SubjectKeyEncryptor,
  tenant: string,
  record: AuditRecordInput,
): Promise<AuditRecordInput> {
  if (!record.personal || record.personal.length === 0) return record;
  const personal: NonNullable<AuditRecordInput['personal']> = [];
  for (const entry of record.personal) {
    if (!('fields' in entry)) {
      personal.push(entry);
      continue;
    }
    const keyName = `subject:${entry.subject}`;
    try {
      await encryptor.ensureTenantKey(tenant, keyName);
      const ciphertext = await encryptor.encrypt(
        tenant,
        AUDIT_PII_PURPOSE,
        Buffer.from(JSON.stringify(entry.fields)),
        { keyName },
      );
      personal.push({
        subject: entry.subject,
        keyName,
        ciphertext: Buffer.from(ciphertext).toString('base64'),
      });
    } catch (error) {
      // An erased person's fields are dropped, never sent in the clear; the record itself stays.
      if (ERASED.has((error as { code?: string }).code ?? '')) continue;
      throw error;
    }
  }
  const { personal: _dropped, ...rest } = record;
  return personal.length > 0 ? { ...rest, personal } : rest;
}
