/**
 * Attachments: uploads bound to the message that carries them, and removed with it.
 *
 * - Binding is asked by messaging before it writes a send (routes/attachment-routes.ts): every
 *   id must be a finished upload of the sender into the message's conversation, in the tenant of
 *   the path (another tenant's id is simply not in this tenant's database), carried by no other
 *   message. Either all ids are bound or none (a refused id undoes the binds of the same call),
 *   and one problem answers every refusal, so the call reveals nothing about ids not the
 *   sender's. A retried send binds the same ids to the same (deterministic) message id again: a
 *   no-op.
 * - Removal follows the message's deletion as messaging publishes it (its delete event, or the
 *   topic's tombstone), whoever deleted it: the sender, a moderator, GDPR erasure, retention.
 *   Under a legal hold that covers the conversation or the uploader (or the whole tenant), the
 *   object and its record stay, made `held` (never served again, since the message is gone);
 *   retention's S3 purge takes the object once the hold is lifted.
 * - Names are read by search for the message's index document (routes/attachment-name-routes.ts):
 *   only the files bound to that message answer, so the call reveals nothing about other uploads.
 */
import { LegalHoldStore } from '@parley/retention';
import type { MongoClient } from 'mongodb';
import type { MediaRecords } from '../store/media-records.ts';
import type { Deletions } from './deletions.ts';
import { mediaProblems } from './media-problems.ts';

export interface BindRequest {
  conversationId: string;
  messageId: string;
  senderId: string;
  mediaIds: readonly string[];
}

export interface Released {
  removed: number;
  held: number;
}

export class Attachments {
  readonly #records: MediaRecords;
  readonly #deletions: Deletions;
  readonly #mongo: MongoClient;

  constructor(options: { records: MediaRecords; deletions: Deletions; mongo: MongoClient }) {
    this.#records = options.records;
    this.#deletions = options.deletions;
    this.#mongo = options.mongo;
  }

  /** The display names of the files bound to `messageId` among `mediaIds` (nameless ones left out). */
  async namesOf(
    tenant: string,
    messageId: string,
    mediaIds: readonly string[],
  ): Promise<{ mediaId: string; name: string }[]> {
    const records = await this.#records.boundTo(tenant, messageId, mediaIds);
    const byId = new Map(records.map((r) => [r._id, r.fileName]));
    // In the message's order, as its attachments list them.
    return mediaIds.flatMap((mediaId) => {
      const name = byId.get(mediaId);
      return name ? [{ mediaId, name }] : [];
    });
  }

  async bind(tenant: string, request: BindRequest): Promise<string[]> {
    const ids = [...new Set(request.mediaIds)];
    const boundHere: string[] = [];
    for (const id of ids) {
      const outcome = await this.#records.bind(tenant, id, {
        messageId: request.messageId,
        conversationId: request.conversationId,
        uploaderId: request.senderId,
      });
      if (outcome === 'refused') {
        for (const done of boundHere) await this.#records.unbind(tenant, done, request.messageId);
        throw mediaProblems.attachmentNotAllowed();
      }
      if (outcome === 'bound') boundHere.push(id);
    }
    return ids;
  }

  /** The message is gone: its files go too, unless a legal hold keeps them. Idempotent. */
  async releaseMessage(tenant: string, messageId: string): Promise<Released> {
    const records = await this.#records.byMessage(tenant, messageId);
    if (records.length === 0) return { removed: 0, held: 0 };
    // One snapshot per message: a hold placed from now on applies to the next one at once.
    const holds = await new LegalHoldStore(this.#mongo, tenant).active();
    let removed = 0;
    let held = 0;
    for (const record of records) {
      if (holds.isHeld({ conversationId: record.conversationId, subjects: [record.uploaderId] })) {
        if (record.state !== 'held') await this.#records.markHeld(tenant, record._id);
        held++;
        continue;
      }
      await this.#deletions.remove(tenant, record);
      removed++;
    }
    return { removed, held };
  }
}
