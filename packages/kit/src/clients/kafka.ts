/**
 * kafkajs clients over SASL/SCRAM-SHA-512, logging through pino. connectKafka() returns a
 * connected admin (for readiness and topic work) and an idempotent producer; consumers are made
 * by the service from `kafka` since each owns its group and handlers.
 */
import { type Admin, Kafka, type KafkaConfig, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Stoppable } from '../lifecycle.ts';
import type { Logger } from '../logger.ts';
import { type ConnectRetryOptions, connectWithRetry } from '../retry.ts';

export interface KafkaSettings {
  brokers: string;
  username: string;
  password: string;
  clientId: string;
}

/** The Kafka settings a service read through `kafkaSettings` (config.ts), with its own client id as default. */
export function kafkaSettingsFromConfig(
  config: {
    KAFKA_BROKERS: string;
    KAFKA_USERNAME: string;
    KAFKA_PASSWORD: string;
    KAFKA_CLIENT_ID?: string | undefined;
  },
  defaultClientId: string,
): KafkaSettings {
  return {
    brokers: config.KAFKA_BROKERS,
    username: config.KAFKA_USERNAME,
    password: config.KAFKA_PASSWORD,
    clientId: config.KAFKA_CLIENT_ID ?? defaultClientId,
  };
}

// Said by kafkajs on every idempotent producer whose retries are bounded. Parley bounds them on
// purpose (an unreachable topic must not hang a relay forever) and takes duplicates instead:
// every consumer deduplicates on the event id, so the warning is noise.
const EXPECTED_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * The level a kafkajs line gets in Parley's logs. kafkajs's connection logs every error answer a
 * broker gives at ERROR ("Response InitProducerId(key: 22, version: 1)"), the retriable ones too,
 * which its retrier then handles: a coordinator still loading after a broker starts, a partition
 * leader moving. A request that fails for good reaches its caller as an error, and the caller
 * logs it; the line for one answer is a warning.
 */
export function kafkaLineLevel(
  level: logLevel,
  namespace: string | undefined,
  message: string,
): 'error' | 'warn' | 'debug' {
  if (message === EXPECTED_WARNING) return 'debug';
  if (level === logLevel.ERROR) {
    return namespace === 'Connection' && message.startsWith('Response ') ? 'warn' : 'error';
  }
  return level === logLevel.WARN ? 'warn' : 'debug';
}

function bridgeLogs(logger: Logger): KafkaConfig['logCreator'] {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      const fields = { dependency: 'kafka', namespace, error: extra.error };
      logger[kafkaLineLevel(level, namespace, message)](fields, message);
    };
}

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers.split(','),
    sasl: { mechanism: 'scram-sha-512', username: settings.username, password: settings.password },
    ssl: false,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: bridgeLogs(logger),
  });
}

export interface KafkaConnection extends Stoppable {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  ping(): Promise<void>;
}

export async function connectKafka(
  settings: KafkaSettings,
  logger: Logger,
  retryOptions?: ConnectRetryOptions,
): Promise<KafkaConnection> {
  const kafka = createKafka(settings, logger);
  const admin = kafka.admin();
  // The default partitioner (murmur2, as the Java client): keys land where other clients expect.
  const producer = kafka.producer({
    // Topics are the operator's (a tenant's streams, with their ACLs and retention). A broker with
    // auto.create.topics.enable (Kafka's default) would otherwise re-create a deleted tenant's
    // topic at this producer's next metadata refresh.
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await connectWithRetry(
    'kafka',
    async () => {
      await admin.connect();
      await producer.connect();
    },
    logger,
    retryOptions,
  );
  return {
    name: 'kafka',
    kafka,
    admin,
    producer,
    ping: async () => {
      await admin.describeCluster();
    },
    stop: async () => {
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
