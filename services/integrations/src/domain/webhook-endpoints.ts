/**
 * Outgoing webhook endpoints, in the tenant's own database (`parley_<tenant>`): a URL, the event
 * types it subscribes to, an optional conversation filter, and a Standard Webhooks signing secret
 * (`whsec_<base64 of 32 random bytes>`) shown once, in the creation's answer.
 *
 * The secret has to be kept readable by Parley (each delivery is signed with it), so it rests
 * sealed under the tenant's key (purpose WEBHOOK_SECRET_PURPOSE, AAD the endpoint id), never in
 * the clear: a copy of the database alone signs nothing, and crypto-shredding the tenant stops
 * its webhooks too.
 *
 * The URL is checked against the egress policy at creation (a clear 422 for a private, loopback
 * or link-local address that the operator did not allow), and again at every connection by the
 * deliverer's guarded fetch (a name that resolves elsewhere later is refused then).
 */
import { randomBytes } from 'node:crypto';
import type {
  CreateWebhookEndpointBody,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEventType,
} from '@parley/contracts';
import type { EnvelopeEncryptor } from '@parley/crypto-client';
import { type AddressPolicy, assertReachable, EgressRefusedError, type Resolver } from '@parley/egress-guard';
import { ProblemError } from '@parley/kit';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Db, MongoClient } from 'mongodb';
import { newIntegrationId } from './secrets.ts';

export const WEBHOOK_ENDPOINTS_COLLECTION = 'integration_webhook_endpoints';
/** The keyring purpose of endpoints' signing secrets at rest (AAD: the endpoint id). */
export const WEBHOOK_SECRET_PURPOSE = 'integrations.webhook-secret';
/** At most this many endpoints per tenant (each event is fanned out to every one). */
export const MAX_ENDPOINTS_PER_TENANT = 50;

export interface WebhookEndpointDocument {
  _id: string;
  url: string;
  description?: string;
  eventTypes: WebhookEventType[];
  conversationIds?: string[];
  /** The signing secret (`whsec_...`), sealed (base64). */
  sealedSecret: string;
  createdAt: Date;
  createdBy: string;
}

/** What the deliverer needs of an endpoint: where, and the secret to sign with. */
export interface DeliveryTarget {
  id: string;
  url: string;
  secret: string;
}

export const unknownEndpoint = (): ProblemError =>
  new ProblemError(
    404,
    'unknown-webhook-endpoint',
    'Unknown webhook endpoint',
    'This tenant has no such webhook endpoint',
  );

export const refusedUrl = (reason: string): ProblemError =>
  new ProblemError(422, 'webhook-url-refused', 'Webhook URL refused', reason);

/**
 * Which tenants have (had) webhook endpoints, in the platform database: the deliverer looks only
 * in those instead of in every tenant's database at each sweep. Only tenant ids are kept here.
 */
export const WEBHOOK_TENANTS_COLLECTION = 'integration_webhook_tenants';

export class WebhookTenants {
  readonly #collection: Collection<{ _id: string; since: Date }>;

  constructor(platform: Db) {
    this.#collection = platform.collection(WEBHOOK_TENANTS_COLLECTION);
  }

  async add(tenant: string): Promise<void> {
    await this.#collection
      .updateOne({ _id: tenant }, { $setOnInsert: { since: new Date() } }, { upsert: true })
      .catch((error: unknown) => {
        // Two first endpoints at once: the upsert that lost the race finds the record made.
        if ((error as { code?: number }).code !== 11000) throw error;
      });
  }

  async list(): Promise<string[]> {
    return (await this.#collection.find({}).limit(100_000).toArray()).map((d) => d._id);
  }
}

export class WebhookEndpoints {
  readonly #mongo: MongoClient;
  readonly #encryptor: EnvelopeEncryptor;
  readonly #policy: AddressPolicy;
  readonly #resolve: Resolver | undefined;
  readonly #tenants: WebhookTenants;
  /** Opened secrets by tenant and endpoint id (a secret never changes; deletion drops it). */
  readonly #secrets = new Map<string, string>();

  constructor(options: {
    mongo: MongoClient;
    encryptor: EnvelopeEncryptor;
    policy: AddressPolicy;
    tenants: WebhookTenants;
    resolve?: Resolver;
  }) {
    this.#tenants = options.tenants;
    this.#mongo = options.mongo;
    this.#encryptor = options.encryptor;
    this.#policy = options.policy;
    this.#resolve = options.resolve;
  }

  collection(tenant: string): Collection<WebhookEndpointDocument> {
    return this.#mongo
      .db(mongoDatabaseName(tenant))
      .collection<WebhookEndpointDocument>(WEBHOOK_ENDPOINTS_COLLECTION);
  }

  async create(
    tenant: string,
    createdBy: string,
    body: CreateWebhookEndpointBody,
  ): Promise<WebhookEndpointCreated> {
    let url: URL;
    try {
      url = new URL(body.url);
    } catch {
      throw refusedUrl(`${body.url} is not a URL`);
    }
    if (url.username || url.password) throw refusedUrl('A webhook URL carries no user name or password');
    try {
      await assertReachable(url, this.#policy, ...(this.#resolve ? [this.#resolve] : []));
    } catch (error) {
      if (error instanceof EgressRefusedError)
        throw refusedUrl(
          `${error.message}. Only public addresses are reached, and the networks the operator allows (WEBHOOK_ALLOWED_NETWORKS)`,
        );
      throw error;
    }
    const endpoints = this.collection(tenant);
    if ((await endpoints.countDocuments({})) >= MAX_ENDPOINTS_PER_TENANT)
      throw new ProblemError(
        409,
        'too-many-webhook-endpoints',
        'Too many webhook endpoints',
        `A tenant has at most ${MAX_ENDPOINTS_PER_TENANT} outgoing webhook endpoints`,
      );
    const id = newIntegrationId();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const sealed = await this.#encryptor.encrypt(
      tenant,
      WEBHOOK_SECRET_PURPOSE,
      Buffer.from(secret),
      Buffer.from(id),
    );
    const doc: WebhookEndpointDocument = {
      _id: id,
      url: url.toString(),
      ...(body.description ? { description: body.description } : {}),
      eventTypes: [...body.eventTypes],
      ...(body.conversationIds ? { conversationIds: [...body.conversationIds] } : {}),
      sealedSecret: sealed.toString('base64'),
      createdAt: new Date(),
      createdBy,
    };
    await this.#tenants.add(tenant);
    await endpoints.insertOne(doc);
    this.#secrets.set(`${tenant}\u0000${id}`, secret);
    return { ...endpointView(doc), secret };
  }

  async list(tenant: string): Promise<WebhookEndpoint[]> {
    return (await this.documents(tenant)).map(endpointView);
  }

  /** Every endpoint of the tenant (the consumer fans events out over them). */
  documents(tenant: string): Promise<WebhookEndpointDocument[]> {
    return this.collection(tenant).find({}).sort({ createdAt: 1 }).limit(MAX_ENDPOINTS_PER_TENANT).toArray();
  }

  async get(tenant: string, endpointId: string): Promise<WebhookEndpoint> {
    const doc = await this.collection(tenant).findOne({ _id: endpointId });
    if (!doc) throw unknownEndpoint();
    return endpointView(doc);
  }

  async delete(tenant: string, endpointId: string): Promise<void> {
    const removed = await this.collection(tenant).deleteOne({ _id: endpointId });
    this.#secrets.delete(`${tenant}\u0000${endpointId}`);
    if (removed.deletedCount === 0) throw unknownEndpoint();
  }

  /** The endpoint's URL and opened secret, or undefined once it is deleted. */
  async target(tenant: string, doc: WebhookEndpointDocument): Promise<DeliveryTarget> {
    const key = `${tenant}\u0000${doc._id}`;
    let secret = this.#secrets.get(key);
    if (!secret) {
      const plain = await this.#encryptor.decrypt(
        tenant,
        WEBHOOK_SECRET_PURPOSE,
        Buffer.from(doc.sealedSecret, 'base64'),
        Buffer.from(doc._id),
      );
      secret = plain.toString('utf8');
      this.#secrets.set(key, secret);
    }
    return { id: doc._id, url: doc.url, secret };
  }
}

/** Whether an endpoint wants an event of `type` in `conversationId`. */
export function subscribes(
  doc: WebhookEndpointDocument,
  type: WebhookEventType,
  conversationId: string,
): boolean {
  if (!doc.eventTypes.includes(type)) return false;
  return !doc.conversationIds || doc.conversationIds.includes(conversationId);
}

function endpointView(doc: WebhookEndpointDocument): WebhookEndpoint {
  return {
    id: doc._id,
    url: doc.url,
    ...(doc.description ? { description: doc.description } : {}),
    eventTypes: doc.eventTypes,
    ...(doc.conversationIds ? { conversationIds: doc.conversationIds } : {}),
    createdAt: doc.createdAt.toISOString(),
    createdBy: doc.createdBy,
  };
}
