/**
 * Message bodies at rest and in events: envelope encryption in process (crypto-client's
 * EnvelopeEncryptor), one data key per tenant fetched from the keyring and reused for many
 * messages, so a send costs one AES-GCM call and no network call. The AAD is the message id, so a
 * body copied onto another message does not open. Declared in contracts' ENCRYPTED_FIELDS
 * (MESSAGING_ENCRYPTED_FIELDS), so a key rotation's background rewrap moves these too, and a
 * crypto-shredded tenant key leaves them unreadable.
 */
import { MESSAGE_BODY_PURPOSE, type SealedMessageBody } from '@parley/contracts';
import type { DataKeySource, EnvelopeEncryptor } from '@parley/crypto-client';

export class BodySealer {
  readonly #encryptor: EnvelopeEncryptor;

  constructor(encryptor: EnvelopeEncryptor) {
    this.#encryptor = encryptor;
  }

  async seal(tenant: string, messageId: string, body: SealedMessageBody): Promise<string> {
    const sealed = await this.#encryptor.encrypt(
      tenant,
      MESSAGE_BODY_PURPOSE,
      Buffer.from(JSON.stringify(body)),
      Buffer.from(messageId),
    );
    return sealed.toString('base64');
  }

  async open(tenant: string, messageId: string, sealed: string): Promise<SealedMessageBody> {
    const plain = await this.#encryptor.decrypt(
      tenant,
      MESSAGE_BODY_PURPOSE,
      Buffer.from(sealed, 'base64'),
      Buffer.from(messageId),
    );
    return JSON.parse(plain.toString('utf8')) as SealedMessageBody;
  }
}

/** The keyring in process as the encryptor's source of data keys (auth and compliance hold it the same way). */
export function keyringDataKeys(keyring: {
  generateDataKey(tenant: string, purpose: string): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer>;
}): DataKeySource {
  return {
    generateDataKey: (tenant, purpose) => keyring.generateDataKey(tenant, purpose),
    decryptDataKey: (tenant, purpose, wrapped) => keyring.decryptDataKey(tenant, purpose, wrapped),
  };
}
