/**
 * Incoming webhooks: a secret URL that posts into one conversation (Slack's shape, `{text}`).
 * Each webhook posts as a bot of its own (scope messages:write, made with it and deleted with
 * it), added to the conversation by the admin who creates the webhook, through messaging's rule
 * (the admin must be able to add members there). The URL's secret is kept as a digest only; a
 * body's `channel` never redirects it (the conversation is the webhook's).
 */
import { randomUUID } from 'node:crypto';
import type { CreateIncomingWebhookBody, IncomingWebhook, IncomingWebhookCreated } from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import type { ActingUser, MessagingClient } from '@parley/messaging-client';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import { type Bots, botUserId } from './bots.ts';
import { throughMessaging } from './messaging-problems.ts';
import { digestOf, newIntegrationId, newSecret, sameDigest } from './secrets.ts';

export const INCOMING_WEBHOOKS_COLLECTION = 'integration_incoming_webhooks';

interface IncomingWebhookDocument {
  _id: string;
  name: string;
  conversationId: string;
  botId: string;
  digest: string;
  createdAt: Date;
  createdBy: string;
}

/** One answer for a wrong id and a wrong secret, so the URL cannot be guessed piece by piece. */
const unknownWebhook = (): ProblemError =>
  new ProblemError(404, 'unknown-webhook', 'Unknown webhook', 'No webhook answers at this URL');

export class IncomingWebhooks {
  readonly #mongo: MongoClient;
  readonly #bots: Bots;
  readonly #messaging: MessagingClient;

  constructor(mongo: MongoClient, bots: Bots, messaging: MessagingClient) {
    this.#mongo = mongo;
    this.#bots = bots;
    this.#messaging = messaging;
  }

  #hooks(tenant: string): Collection<IncomingWebhookDocument> {
    return this.#mongo
      .db(mongoDatabaseName(tenant))
      .collection<IncomingWebhookDocument>(INCOMING_WEBHOOKS_COLLECTION);
  }

  async create(admin: ActingUser, body: CreateIncomingWebhookBody): Promise<IncomingWebhookCreated> {
    const id = newIntegrationId();
    const bot = await this.#bots.create(
      admin.tenant,
      admin.userId,
      { name: body.name, scopes: ['messages:write'] },
      { webhookId: id },
    );
    try {
      await throughMessaging(() =>
        this.#messaging.as(admin).addMember(body.conversationId, { userId: bot.userId, role: 'member' }),
      );
    } catch (error) {
      // The admin may not add members there (or it does not exist): no webhook, no stray bot.
      await this.#bots.delete(admin.tenant, bot.id).catch(() => {});
      throw error;
    }
    const secret = newSecret();
    const doc: IncomingWebhookDocument = {
      _id: id,
      name: body.name,
      conversationId: body.conversationId,
      botId: bot.id,
      digest: digestOf(secret),
      createdAt: new Date(),
      createdBy: admin.userId,
    };
    await this.#hooks(admin.tenant).insertOne(doc);
    return { ...view(doc), path: `/api/v1/hooks/${admin.tenant}/${id}/${secret}` };
  }

  async list(tenant: string): Promise<IncomingWebhook[]> {
    const docs = await this.#hooks(tenant).find({}).sort({ createdAt: 1 }).limit(1000).toArray();
    return docs.map(view);
  }

  /** The webhook, its bot (so its URL stops at once), and the bot's membership (best effort). */
  async delete(admin: ActingUser, webhookId: string): Promise<void> {
    const doc = await this.#hooks(admin.tenant).findOneAndDelete({ _id: webhookId });
    if (!doc) throw unknownWebhook();
    await this.#bots.delete(admin.tenant, doc.botId).catch(() => {});
    await this.#messaging
      .as(admin)
      .removeMember(doc.conversationId, botUserId(doc.botId))
      .catch(() => {});
  }

  /** Posts `text` as the webhook's bot; the URL's id and secret are the only credential. */
  async post(
    tenant: string,
    webhookId: string,
    secret: string,
    text: string,
  ): Promise<{ messageId: string }> {
    const doc = await this.#hooks(tenant).findOne({ _id: webhookId });
    if (!doc || !sameDigest(secret, doc.digest)) throw unknownWebhook();
    const sender = { tenant, userId: botUserId(doc.botId), roles: ['member'] };
    // Slack's body has no idempotency key: each post is a message of its own.
    const sent = await throughMessaging(() =>
      this.#messaging.as(sender).send(doc.conversationId, { clientMessageId: `hook-${randomUUID()}`, text }),
    );
    return { messageId: sent.message.id };
  }
}

function view(doc: IncomingWebhookDocument): IncomingWebhook {
  return {
    id: doc._id,
    name: doc.name,
    conversationId: doc.conversationId,
    botId: doc.botId,
    botUserId: botUserId(doc.botId),
    createdAt: doc.createdAt.toISOString(),
    createdBy: doc.createdBy,
  };
}
