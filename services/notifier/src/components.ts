/**
 * The notifier's object graph, built once from its settings and connections: used by main.ts and
 * by the test fixture (testing/notifier-fixture.ts) alike.
 */
import {
  createKeyring,
  type KeyEncryptionKeyConnection,
  type Keyring,
  type MasterKeyring,
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
import { PLATFORM_DATABASE } from '@parley/tenancy';
import type { Db } from 'mongodb';
import { Registry } from 'prom-client';
import { DeliveryLog } from './domain/delivery-log.ts';
import { MailDispatcher } from './domain/mail-dispatcher.ts';
import { type MailMetrics, mailMetrics } from './domain/mail-metrics.ts';
import { type MailTransport, SmtpTransport } from './domain/mail-sender.ts';
import { TenantBrandings } from './domain/tenant-branding.ts';
import type { NotifierSettings } from './settings.ts';
import { notificationsConsumer } from './workers/notifications-consumer.ts';

/** Only the gateway (a tenant admin's branding and dead letters) calls the notifier. */
export const NOTIFIER_CALLERS = ['gateway'] as const;

export interface NotifierClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
  /** Needed unless `keyring` is given. */
  masterKeys?: MasterKeyring;
  /** The broker, for the mail consumer; tests of the routes alone leave it out. */
  kafka?: KafkaConnection;
  keks?: KeyEncryptionKeyConnection;
  /** Where tenant keys live: parley_platform unless a test gives its own. */
  platformDb?: Db;
  /** A keyring already open over the tenant keys (a test sharing auth's); else one is made here. */
  keyring?: Keyring;
}

export interface NotifierComponents extends ServiceFoundation {
  keyring: Keyring;
  transport: MailTransport;
  brandings: TenantBrandings;
  deliveries: DeliveryLog;
  dispatcher: MailDispatcher;
  /** Registered on the app's /metrics by buildApp. */
  metricsRegistry: Registry;
  metrics: MailMetrics;
}

export function createComponents(
  settings: NotifierSettings,
  clients: NotifierClients,
  overrides: {
    callers?: ServiceCallers | string;
    tenantStatusCacheMs?: number;
    /** A test's consumer narrowed to its own tenant (pattern) and group. */
    consumer?: { pattern: RegExp; groupId: string };
  } = {},
): NotifierComponents {
  const { logger, mongo, redis, kafka, keks } = clients;
  if (!clients.keyring && !clients.masterKeys)
    throw new Error('notifier: master keys or a keyring are needed');
  const keyring =
    clients.keyring ??
    createKeyring({
      db: clients.platformDb ?? mongo.client.db(PLATFORM_DATABASE),
      ...(keks ? { keyEncryptionKeys: keks.store } : {}),
      masterKeys: clients.masterKeys as MasterKeyring,
      logger,
      cacheTtlMs: settings.KEY_CACHE_TTL_MS,
      source: 'notifier',
    });
  const transport = new SmtpTransport({
    host: settings.SMTP_HOST,
    port: settings.SMTP_PORT,
    secure: settings.SMTP_SECURE,
    requireTls: settings.SMTP_REQUIRE_TLS,
    username: settings.SMTP_USERNAME,
    password: settings.SMTP_PASSWORD,
  });
  const brandings = new TenantBrandings(mongo.client);
  const deliveries = new DeliveryLog(mongo.client);
  const metricsRegistry = new Registry();
  const metrics = mailMetrics(metricsRegistry);
  const dispatcher = new MailDispatcher({
    log: deliveries,
    opener: keyring,
    brandings,
    transport,
    metrics,
    logger,
    fromAddress: settings.MAIL_FROM_ADDRESS,
    webUrl: settings.WEB_URL,
    retry: {
      attempts: settings.MAIL_ATTEMPTS,
      initialDelayMs: settings.MAIL_RETRY_INITIAL_MS,
      maxDelayMs: settings.MAIL_RETRY_MAX_MS,
    },
  });
  const workers: Worker[] = kafka
    ? [
        notificationsConsumer({
          kafka: kafka.kafka,
          logger,
          dispatcher,
          metrics,
          refreshMs: settings.TOPIC_REFRESH_MS,
          ...(overrides.consumer ?? {}),
        }),
      ]
    : [];
  return {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    tenantGate: new TenantGate(redis.client, { cacheMs: overrides.tenantStatusCacheMs ?? 3_000 }),
    readiness: {
      ...readinessOf(mongo, redis, ...(kafka ? [kafka] : [])),
      smtp: () => transport.verify(),
    },
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    keyring,
    transport,
    brandings,
    deliveries,
    dispatcher,
    metricsRegistry,
    metrics,
    workers,
  };
}
