/**
 * The search service's object graph, built once from its settings and connections: used by
 * main.ts and by the test fixture (testing/search-fixture.ts) alike.
 */
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
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
  type RedisConnection,
  readinessOf,
  ServiceCallers,
  type ServiceFoundation,
  TenantGate,
  type Worker,
} from '@parley/kit';
import { MediaClient } from '@parley/media-client';
import { MessagingClient } from '@parley/messaging-client';
import { PLATFORM_DATABASE, TenantDirectory } from '@parley/tenancy';
import type { Db } from 'mongodb';
import { Registry } from 'prom-client';
import { type AttachmentNameSource, MediaAttachmentNames } from './domain/attachment-names.ts';
import { Membership } from './domain/membership.ts';
import { MessageIndex } from './domain/message-index.ts';
import { MessageIndexer } from './domain/message-indexer.ts';
import { MessageSearch } from './domain/message-search.ts';
import { Reindexer } from './domain/reindexer.ts';
import type { SearchSettings } from './settings.ts';
import { createGdprParticipation } from './workers/gdpr-participation.ts';
import { type IndexingMetrics, indexingMetrics, messagesConsumer } from './workers/messages-consumer.ts';

/** Only the gateway searches for users. */
export const SEARCH_CALLERS = ['gateway'] as const;

export interface SearchClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
  /** Needed unless `keyring` is given. */
  masterKeys?: MasterKeyring;
  /** The broker, for the indexing consumer; tests of the query route alone leave it out. */
  kafka?: KafkaConnection;
  keks?: KeyEncryptionKeyConnection;
  /** Where tenant keys and the tenant registry (each tenant's language) live: parley_platform unless a test gives its own. */
  platformDb?: Db;
  /** A keyring already open over the tenant keys (a test sharing messaging's); else one is made here. */
  keyring?: Keyring;
}

export interface SearchComponents extends ServiceFoundation {
  es: ElasticsearchClient;
  keyring: Keyring;
  index: MessageIndex;
  indexer: MessageIndexer;
  search: MessageSearch;
  messaging: MessagingClient;
  /** Rebuilds a tenant's index from messaging's message log (src/reindex-command.ts). */
  reindexer: Reindexer;
  /** Registered on the app's /metrics by buildApp. */
  metricsRegistry: Registry;
  metrics: IndexingMetrics;
  /** With a broker: GDPR participation (also among workers; the test fixture leaves it out). */
  gdpr?: Worker;
}

export async function createComponents(
  settings: SearchSettings,
  clients: SearchClients,
  overrides: {
    callers?: ServiceCallers | string;
    tenantStatusCacheMs?: number;
    /** A test's consumer narrowed to its own tenant (pattern) and group. */
    consumer?: { pattern: RegExp; groupId: string };
    /** Tests without a media service name no files. */
    attachmentNames?: AttachmentNameSource;
  } = {},
): Promise<SearchComponents> {
  const { logger, mongo, redis, kafka } = clients;
  const keyring = await serviceKeyring('search', settings, clients);
  // Data keys are only ever opened here (search writes no ciphertext).
  const encryptor = new EnvelopeEncryptor({
    source: {
      generateDataKey: (tenant, purpose) => keyring.generateDataKey(tenant, purpose),
      decryptDataKey: (tenant, purpose, wrapped) => keyring.decryptDataKey(tenant, purpose, wrapped),
    },
  });
  const es = new ElasticsearchClient({
    node: settings.ELASTICSEARCH_URL,
    requestTimeout: 10_000,
    maxRetries: 2,
  });
  // The registry (parley_platform, or a test's own) holds each tenant's language: a new index's analyzer.
  const directory = new TenantDirectory(clients.platformDb ?? mongo.client.db(PLATFORM_DATABASE));
  const index = new MessageIndex(es, (tenant) => directory.languageOf(tenant));
  const indexer = new MessageIndexer(
    encryptor,
    overrides.attachmentNames ??
      new MediaAttachmentNames(
        new MediaClient({ baseUrl: settings.MEDIA_URL, serviceToken: settings.SERVICE_TOKEN }),
        (error) =>
          logger.warn({ err: error, status: error.status }, 'media refused the names of attachments'),
      ),
  );
  const messaging = new MessagingClient({
    baseUrl: settings.MESSAGING_URL,
    serviceToken: settings.SERVICE_TOKEN,
  });
  const metricsRegistry = new Registry();
  const metrics = indexingMetrics(metricsRegistry);
  const gdpr = kafka
    ? new GdprParticipation(
        createGdprParticipation({
          index,
          mongo: mongo.client,
          kafka: kafka.kafka,
          producer: kafka.producer,
          client: new GdprClient({ baseUrl: settings.COMPLIANCE_URL, serviceToken: settings.SERVICE_TOKEN }),
          logger,
          refreshMs: settings.GDPR_TOPIC_REFRESH_MS,
        }),
        logger,
      )
    : undefined;
  const workers: Worker[] = kafka
    ? [
        messagesConsumer({
          kafka: kafka.kafka,
          logger,
          index,
          indexer,
          metrics,
          refreshMs: settings.TOPIC_REFRESH_MS,
          ...(overrides.consumer ?? {}),
        }),
        ...(gdpr ? [gdpr] : []),
      ]
    : [];
  return {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    tenantGate: new TenantGate(redis.client, { cacheMs: overrides.tenantStatusCacheMs ?? 3_000 }),
    readiness: {
      ...readinessOf(mongo, redis, ...(kafka ? [kafka] : [])),
      elasticsearch: () => es.ping(),
    },
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    es,
    keyring,
    index,
    indexer,
    search: new MessageSearch(index, new Membership(messaging)),
    messaging,
    reindexer: new Reindexer({ es, index, indexer, messaging }),
    metricsRegistry,
    metrics,
    ...(gdpr ? { gdpr } : {}),
    workers,
  };
}
