/**
 * The messaging service's object graph, built once from its settings and connections: used by
 * main.ts and by the test fixture (testing/messaging-fixture.ts) alike, so both assemble exactly
 * the same service.
 *
 * The workers (with a broker): GDPR participation, log repair and the outbox relay, listed in
 * the order kit stops them (each one's writes reach the outbox before the relay's final flush).
 * Which tenants the relay and the repair cover comes from the operator's registry
 * (TenantDirectory.served(): Ready or Suspended, so their topics exist), never from the list of
 * databases.
 */
import { GdprClient, GdprParticipation } from '@parley/compliance-client';
import { EnvelopeEncryptor } from '@parley/crypto-client';
import {
  type KeyEncryptionKeyConnection,
  type Keyring,
  type MasterKeyring,
  serviceKeyring,
} from '@parley/keyring';
import {
  type KafkaConnection,
  type Logger,
  type MongoConnection,
  onlyCallers,
  type RedisConnection,
  readinessOf,
  ServiceCallers,
  type ServiceFoundation,
  TenantGate,
  type Worker,
  worker,
} from '@parley/kit';
import { MediaClient } from '@parley/media-client';
import type { OutboxRelay } from '@parley/outbox';
import { TenantDirectory } from '@parley/tenancy';
import type { Db, MongoClient } from 'mongodb';
import { type AttachmentBinder, MediaAttachmentBinder, noAttachments } from './domain/attachment-binder.ts';
import { BodySealer, keyringDataKeys } from './domain/body-sealer.ts';
import { ChangeApplier } from './domain/change-applier.ts';
import { ConversationText } from './domain/conversation-text.ts';
import { Conversations } from './domain/conversations.ts';
import { History } from './domain/history.ts';
import { MessageViews } from './domain/message-views.ts';
import { Messages } from './domain/messages.ts';
import { immediatePublisher, noImmediatePublish, type OutboxRelayLike } from './domain/outbox-publisher.ts';
import { PersonalData } from './domain/personal-data.ts';
import { ReadPointers } from './domain/read-pointers.ts';
import { SearchFeed } from './domain/search-feed.ts';
import { SeqLedger } from './domain/seq-ledger.ts';
import { createGdprParticipation, tenantErasureMode } from './gdpr-participation.ts';
import { MESSAGING_CALLERS } from './routes/route-callers.ts';
import type { MessagingSettings } from './settings.ts';
import { MessagingStore } from './store/collections.ts';
import { LogRepair } from './workers/log-repair.ts';
import { createMessagingRelay } from './workers/outbox-relay.ts';

/** The domain: what the routes and the workers act on. */
export interface MessagingDomain {
  store: MessagingStore;
  encryptor: EnvelopeEncryptor;
  sealer: BodySealer;
  ledger: SeqLedger;
  applier: ChangeApplier;
  conversations: Conversations;
  messages: Messages;
  history: History;
  readPointers: ReadPointers;
  /** What the search service reads: memberships as ids, the tenant's message log. */
  searchFeed: SearchFeed;
  /** GDPR export and erasure of what messaging holds about a person. */
  personalData: PersonalData;
}

export interface MessagingClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
  /** The broker, for the relay and GDPR participation; tests of the routes alone leave it out. */
  kafka?: KafkaConnection;
  /** Needed unless `keyring` is given. */
  masterKeys?: MasterKeyring;
  keks?: KeyEncryptionKeyConnection;
  /** Where tenant keys and the tenant registry live: parley_platform unless a test gives its own. */
  platformDb?: Db;
  /** A keyring already open over the tenant keys (a test's own); else one is made here. */
  keyring?: Keyring;
}

export interface MessagingComponents extends ServiceFoundation, MessagingDomain {
  keyring: Keyring;
  tenants: TenantDirectory;
  /** With a broker: publishes every served tenant's outboxes. */
  relay?: OutboxRelay;
  /** With a broker: finishes changes a crash left unapplied. */
  repair?: LogRepair;
}

export interface MessagingOverrides {
  callers?: ServiceCallers | string;
  tenantStatusCacheMs?: number;
  /** Without a broker: what publishes right after a write (a test's own relay); nothing by default. */
  publisher?: OutboxRelayLike;
  /** The tenants the relay and the repair cover (a test's own); the served ones by default. */
  tenants?: () => Promise<string[]> | string[];
  /** A test's GDPR consumer narrowed to its own tenant (pattern) and group. */
  gdpr?: { pattern: RegExp; groupId: string };
  /** The media service's binder (a test's own); by default through @parley/media-client at MEDIA_URL. */
  attachments?: AttachmentBinder;
}

/** The domain objects over a store and a keyring (also what benchmarks drive directly). */
export function createMessagingDomain(options: {
  mongo: MongoClient;
  keyring: Keyring;
  /** Publishes an outbox right after its write (the relay), or leaves it to the relay's passes. */
  publisher: OutboxRelayLike;
  seqVoidAfterMs: number;
  /** CHANGES_POINT_READ_SPAN (default 256): reads of at most this many seqs go by `_id` lookups. */
  changesPointReadSpan?: number;
  /** Binds a send's attachments (media); without one, a send with attachments is refused. */
  attachments?: AttachmentBinder;
  /** The keyring's KEY_CACHE_TTL_MS (default 30 s): bounds how long a data key seals. */
  keyCacheTtlMs?: number;
}): MessagingDomain {
  const store = new MessagingStore(options.mongo);
  const encryptor = new EnvelopeEncryptor({
    source: keyringDataKeys(options.keyring),
    // A rotation's rewrap is complete after a clean pass begun KEY_REWRAP_SETTLE_MS (default 60 s,
    // at least twice KEY_CACHE_TTL_MS) after it. A data key drawn from a tenant key cached just
    // before the rotation must stop sealing before then: at most half the cache's lifetime, so
    // nothing is sealed under the old version later than 1.5 x KEY_CACHE_TTL_MS after a rotation.
    // (The encryptor's own default, 5 min, let sends seal under the old version after the rewrap
    // had reported Done, and retiring that version then made those messages unreadable.)
    dataKeyMaxAgeMs: Math.floor((options.keyCacheTtlMs ?? 30_000) / 2),
  });
  const sealer = new BodySealer(encryptor);
  const ledger = new SeqLedger(options.seqVoidAfterMs);
  const applier = new ChangeApplier(options.publisher);
  const texts = new ConversationText(encryptor);
  const conversations = new Conversations(store, options.publisher, texts);
  const views = new MessageViews(sealer);
  return {
    store,
    encryptor,
    sealer,
    ledger,
    applier,
    conversations,
    messages: new Messages({
      conversations,
      ledger,
      applier,
      sealer,
      views,
      attachments: options.attachments ?? noAttachments,
    }),
    history: new History({
      conversations,
      views,
      ledger,
      applier,
      pointReadSpan: options.changesPointReadSpan ?? 256,
    }),
    readPointers: new ReadPointers(store, conversations),
    searchFeed: new SearchFeed(store),
    personalData: new PersonalData({ store, ledger, applier, sealer, texts, publisher: options.publisher }),
  };
}

export async function createComponents(
  settings: MessagingSettings,
  clients: MessagingClients,
  overrides: MessagingOverrides = {},
): Promise<MessagingComponents> {
  const { logger, mongo, redis, kafka } = clients;
  const keyring = await serviceKeyring('messaging', settings, clients);
  const tenants = clients.platformDb
    ? new TenantDirectory(clients.platformDb)
    : TenantDirectory.forClient(mongo.client);
  const coveredTenants = async () => (overrides.tenants ? overrides.tenants() : tenants.served());
  const relay = kafka
    ? createMessagingRelay({
        producer: kafka.producer,
        store: new MessagingStore(mongo.client),
        logger,
        intervalMs: settings.OUTBOX_INTERVAL_MS,
        tenants: coveredTenants,
      })
    : undefined;
  const domain = createMessagingDomain({
    mongo: mongo.client,
    keyring,
    publisher: relay ? immediatePublisher(relay) : (overrides.publisher ?? noImmediatePublish),
    seqVoidAfterMs: settings.SEQ_VOID_AFTER_MS,
    changesPointReadSpan: settings.CHANGES_POINT_READ_SPAN,
    keyCacheTtlMs: settings.KEY_CACHE_TTL_MS,
    attachments:
      overrides.attachments ??
      new MediaAttachmentBinder(
        new MediaClient({ baseUrl: settings.MEDIA_URL, serviceToken: settings.SERVICE_TOKEN }),
      ),
  });
  let repair: LogRepair | undefined;
  const workers: Worker[] = [];
  if (kafka && relay) {
    repair = new LogRepair({
      store: domain.store,
      applier: domain.applier,
      tenants: coveredTenants,
      olderThanMs: settings.SEQ_VOID_AFTER_MS,
      intervalMs: settings.REPAIR_INTERVAL_MS,
      logger,
    });
    // Registers with the compliance service, then answers export and erasure requests on every
    // tenant's gdpr topic (consumer group messaging.gdpr), retrying while compliance is down.
    const gdpr = new GdprParticipation(
      createGdprParticipation({
        personalData: domain.personalData,
        mongo: mongo.client,
        // The tenant's own spec.gdpr.erasureMode (its registry entry), else the deployment's.
        modeOf: tenantErasureMode(tenants, settings.GDPR_ERASURE_MODE),
        kafka: kafka.kafka,
        producer: kafka.producer,
        client: new GdprClient({ baseUrl: settings.COMPLIANCE_URL, serviceToken: settings.SERVICE_TOKEN }),
        logger,
        refreshMs: settings.GDPR_TOPIC_REFRESH_MS,
        ...(overrides.gdpr ?? {}),
      }),
      logger,
    );
    // Stopped in this order: GDPR work in flight, the repair pass, then the relay's final flush.
    workers.push(gdpr, repair, worker('messaging-outbox-relay', relay));
  }
  return {
    logger,
    callers: onlyCallers(overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS), [
      ...MESSAGING_CALLERS,
    ]),
    tenantGate: new TenantGate(redis.client, { cacheMs: overrides.tenantStatusCacheMs ?? 3_000 }),
    readiness: readinessOf(mongo, redis, ...(kafka ? [kafka] : [])),
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    ...domain,
    keyring,
    tenants,
    ...(relay ? { relay } : {}),
    ...(repair ? { repair } : {}),
    workers,
  };
}
