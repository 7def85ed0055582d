/**
 * What became of each delivery request, one document per event id in the tenant's own database
 * (`parley_<tenant>.mail_deliveries`): the consumer's idempotency (an event id already sent,
 * skipped or dead-lettered is not sent again) and the dead-letter records an admin reads. It
 * holds no address, name or token (those exist only sealed, on the topic): a dead letter names
 * the event, its kind, request id, where it is on the topic (to replay it) and what the SMTP
 * server last said.
 *
 * A record is claimed (`sending`) before the mail goes out and finished after the server's
 * answer. A crash in between leaves `sending`, and the redelivered event is sent again: at least
 * once, the second copy with the same Message-ID. Insert-only claims with the unique `_id` are
 * exact on FerretDB too (no concurrent-update races, see packages/outbox's known limits).
 */
import { isDuplicateKeyError } from '@parley/kit';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import type { MailKind } from './mail-requests.ts';

export const DELIVERIES_COLLECTION = 'mail_deliveries';

export type DeliveryState = 'sending' | 'sent' | 'skipped' | 'dead-lettered';

export interface DeliveryRecord {
  _id: string;
  eventType: string;
  state: DeliveryState;
  kind?: MailKind;
  requestId?: string;
  topic: string;
  partition: number;
  offset: string;
  attempts: number;
  /** sent | bounced | rejected | failed (retries exhausted) | a skip reason. */
  outcome?: string;
  /** The SMTP server's last answer (its status line), or why nothing was sent. */
  response?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface EventPosition {
  topic: string;
  partition: number;
  offset: string;
}

export class DeliveryLog {
  readonly #client: MongoClient;

  constructor(client: MongoClient) {
    this.#client = client;
  }

  collection(tenant: string): Collection<DeliveryRecord> {
    return this.#client.db(mongoDatabaseName(tenant)).collection<DeliveryRecord>(DELIVERIES_COLLECTION);
  }

  /** True when this event still has to be handled (first time, or an earlier try never finished). */
  async claim(tenant: string, eventId: string, eventType: string, position: EventPosition): Promise<boolean> {
    const now = new Date();
    try {
      await this.collection(tenant).insertOne({
        _id: eventId,
        eventType,
        state: 'sending',
        ...position,
        attempts: 0,
        createdAt: now,
        updatedAt: now,
      });
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await this.collection(tenant).findOne({ _id: eventId }, { projection: { state: 1 } });
      return existing?.state === 'sending';
    }
  }

  async finish(
    tenant: string,
    eventId: string,
    fields: Pick<DeliveryRecord, 'state' | 'attempts' | 'outcome' | 'response'> &
      Partial<Pick<DeliveryRecord, 'kind' | 'requestId'>>,
  ): Promise<void> {
    await this.collection(tenant).updateOne({ _id: eventId }, { $set: { ...fields, updatedAt: new Date() } });
  }

  async get(tenant: string, eventId: string): Promise<DeliveryRecord | null> {
    return this.collection(tenant).findOne({ _id: eventId });
  }

  /** The tenant's dead letters, newest first. */
  async deadLetters(tenant: string, limit: number): Promise<DeliveryRecord[]> {
    return this.collection(tenant)
      .find({ state: 'dead-lettered' })
      .sort({ updatedAt: -1 })
      .limit(limit)
      .toArray();
  }
}
