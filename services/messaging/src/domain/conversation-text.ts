/**
 * Conversation names and topics at rest: sealed under the tenant key like message bodies
 * (crypto-client's EnvelopeEncryptor, data key cached, no network call per seal), purpose
 * `messaging.conversation-text`, AAD the conversation id, so a sealed name copied onto another
 * conversation does not open. The plaintext names which field it is (`{f, v}`), so a sealed topic
 * moved into the name's place is refused too. Declared in MESSAGING_ENCRYPTED_FIELDS (the
 * rewrap after a rotation reaches them; a crypto-shred leaves them unreadable).
 *
 * `reveal` gives back the document with `name`/`topic` in the clear, for views; documents written
 * before sealing still carry plaintext fields, which it passes through.
 */
import { CONVERSATION_TEXT_PURPOSE } from '@parley/contracts';
import type { EnvelopeEncryptor } from '@parley/crypto-client';
import type { ConversationDocument } from '../store/collections.ts';

type TextField = 'name' | 'topic';

export class ConversationText {
  readonly #encryptor: EnvelopeEncryptor;

  constructor(encryptor: EnvelopeEncryptor) {
    this.#encryptor = encryptor;
  }

  async seal(tenant: string, conversationId: string, f: TextField, v: string): Promise<string> {
    const sealed = await this.#encryptor.encrypt(
      tenant,
      CONVERSATION_TEXT_PURPOSE,
      Buffer.from(JSON.stringify({ f, v })),
      Buffer.from(conversationId),
    );
    return sealed.toString('base64');
  }

  async open(tenant: string, conversationId: string, f: TextField, sealed: string): Promise<string> {
    const plain = await this.#encryptor.decrypt(
      tenant,
      CONVERSATION_TEXT_PURPOSE,
      Buffer.from(sealed, 'base64'),
      Buffer.from(conversationId),
    );
    const opened = JSON.parse(plain.toString('utf8')) as { f?: string; v?: string };
    if (opened.f !== f || typeof opened.v !== 'string')
      throw new Error(`sealed ${f} of ${conversationId} holds another field`);
    return opened.v;
  }

  /** The sealed fields of a new name/topic (only those given). */
  async sealed(
    tenant: string,
    conversationId: string,
    text: { name?: string; topic?: string },
  ): Promise<Pick<ConversationDocument, 'sealedName' | 'sealedTopic'>> {
    return {
      ...(text.name !== undefined
        ? { sealedName: await this.seal(tenant, conversationId, 'name', text.name) }
        : {}),
      ...(text.topic !== undefined
        ? { sealedTopic: await this.seal(tenant, conversationId, 'topic', text.topic) }
        : {}),
    };
  }

  /** The document with its name and topic opened (and the sealed fields left out). */
  async reveal(tenant: string, doc: ConversationDocument): Promise<ConversationDocument> {
    const { sealedName, sealedTopic, ...rest } = doc;
    return {
      ...rest,
      ...(sealedName ? { name: await this.open(tenant, doc._id, 'name', sealedName) } : {}),
      ...(sealedTopic ? { topic: await this.open(tenant, doc._id, 'topic', sealedTopic) } : {}),
    };
  }
}
