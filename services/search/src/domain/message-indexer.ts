/**
 * Turns records of a tenant's messages topic into index writes. The tenant is the topic's
 * (kit's consumer already refused envelopes naming another), the body is opened in process with
 * the tenant's key (purpose MESSAGE_BODY_PURPOSE, AAD the message id, as messaging sealed it).
 *
 * Idempotent: a redelivered event has the same seq, an older one a lower seq, and both lose
 * against the document's external version; so the event id needs no ledger of its own.
 * The names of the message's files come from media as it is indexed (domain/attachment-names.ts).
 * A record that cannot be used (not an envelope, an unknown type, a body the tenant's key no
 * longer opens: crypto-shredded) is counted and skipped, never retried forever; anything else
 * (Elasticsearch or the keyring's database down) throws, so the batch is redelivered.
 */
import {
  type EventEnvelope,
  InvalidEventError,
  MESSAGE_BODY_PURPOSE,
  type MessageChangedPayload,
  MessageChangedPayloadSchema,
  MessageCreatedEvent,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageReactedEvent,
  parseEnvelope,
  type SealedMessageBody,
  SealedMessageBodySchema,
} from '@parley/contracts';
import type { EnvelopeEncryptor } from '@parley/crypto-client';
import { KeyringError } from '@parley/keyring';
import { Compile } from 'typebox/compile';
import { type AttachmentNameSource, noAttachmentNames } from './attachment-names.ts';
import { documentOf, type MessageDocument } from './message-document.ts';
import type { IndexWrite } from './message-index.ts';

const CHANGE_TYPES = new Set<string>([
  MessageCreatedEvent.type,
  MessageEditedEvent.type,
  MessageDeletedEvent.type,
  MessageReactedEvent.type,
]);
const payloadCheck = Compile(MessageChangedPayloadSchema);
const bodyCheck = Compile(SealedMessageBodySchema);

export type SkipReason = 'not-an-envelope' | 'invalid-payload' | 'undecryptable';

export interface IndexedRecord {
  write?: IndexWrite;
  /** When the event happened (for the indexing lag). */
  eventTime?: string;
  skipped?: SkipReason;
}

export class MessageIndexer {
  readonly #encryptor: EnvelopeEncryptor;
  readonly #names: AttachmentNameSource;

  constructor(encryptor: EnvelopeEncryptor, names: AttachmentNameSource = noAttachmentNames) {
    this.#encryptor = encryptor;
    this.#names = names;
  }

  /** The document of a message's state, with its files' names when it has a body and files. */
  async documentFor(
    tenant: string,
    payload: MessageChangedPayload,
    body: SealedMessageBody | undefined,
  ): Promise<MessageDocument> {
    const mediaIds = body && !payload.deleted ? (payload.attachments ?? []).map((a) => a.mediaId) : [];
    const names = mediaIds.length > 0 ? await this.#names.namesOf(tenant, payload.messageId, mediaIds) : [];
    return documentOf(payload, body, names);
  }

  async writeFor(tenant: string, key: string | undefined, value: Buffer | null): Promise<IndexedRecord> {
    if (!value || value.length === 0) {
      // A tombstone keyed by message id; `<conversation>:<seq>` keys are void seqs (nothing to index).
      if (key && !key.includes(':')) return { write: { kind: 'remove', tenant, messageId: key } };
      return {};
    }
    let envelope: EventEnvelope;
    try {
      envelope = parseEnvelope(JSON.parse(value.toString('utf8')));
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof InvalidEventError)
        return { skipped: 'not-an-envelope' };
      throw error;
    }
    if (!CHANGE_TYPES.has(envelope.type)) return {}; // seq voids, erasure markers: nothing to index
    if (!payloadCheck.Check(envelope.payload)) return { skipped: 'invalid-payload' };
    const payload = envelope.payload as MessageChangedPayload;
    let body: SealedMessageBody | undefined;
    if (!payload.deleted && payload.sealed) {
      const opened = await this.open(tenant, payload);
      if (!opened) return { skipped: 'undecryptable', eventTime: envelope.time };
      body = opened;
    }
    return {
      write: { kind: 'upsert', tenant, document: await this.documentFor(tenant, payload, body) },
      eventTime: envelope.time,
    };
  }

  async open(tenant: string, payload: MessageChangedPayload): Promise<SealedMessageBody | undefined> {
    let plain: Buffer;
    try {
      plain = await this.#encryptor.decrypt(
        tenant,
        MESSAGE_BODY_PURPOSE,
        Buffer.from(payload.sealed as string, 'base64'),
        Buffer.from(payload.messageId),
      );
    } catch (error) {
      // Every refusal of the key or the ciphertext (destroyed key, failed authentication) is a KeyringError.
      if (error instanceof KeyringError) return undefined;
      throw error;
    }
    const body: unknown = JSON.parse(plain.toString('utf8'));
    return bodyCheck.Check(body) ? body : undefined;
  }
}
