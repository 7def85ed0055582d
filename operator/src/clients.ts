/**
 * The operator's connections to every store it provisions, made once at start and shared by the
 * reconcilers. kafkajs for topics and ACLs (through kit), @platformatic/kafka for SCRAM users and
 * client quotas, minio for S3 and @parley/minio-admin for its users and policies, the 7.x
 * Elasticsearch client (the server is 7.10).
 */
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { connectKeyEncryptionKeys, type KeyEncryptionKeyConnection } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  connectRedis,
  createS3Client,
  type KafkaConnection,
  kafkaSettingsFromConfig,
  type Logger,
  type MongoConnection,
  type RedisConnection,
  type Stoppable,
} from '@parley/kit';
import { MinioAdmin } from '@parley/minio-admin';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Client as MinioClient } from 'minio';
import type { OperatorConfig } from './config.ts';

export interface OperatorClients {
  mongo: MongoConnection;
  redis: RedisConnection;
  kafka: KafkaConnection;
  kafkaPlatformatic: PlatformaticAdmin;
  s3: MinioClient;
  /** MinIO's admin API (users and policies), which the minio client lacks. */
  s3Admin: MinioAdmin;
  elasticsearch: ElasticsearchClient;
  /** Where the keyring's key-encryption keys live (KEK_MONGO_URL, or beside parley_platform). */
  keyEncryptionKeys: KeyEncryptionKeyConnection;
  /** Closes everything, in reverse order of need. */
  stoppables: Stoppable[];
}

export function createPlatformaticAdmin(
  brokers: string,
  username: string,
  password: string,
): PlatformaticAdmin {
  return new PlatformaticAdmin({
    clientId: 'parley-operator',
    bootstrapBrokers: brokers.split(','),
    sasl: { mechanism: 'SCRAM-SHA-512', username, password },
    connectTimeout: 5_000,
    requestTimeout: 15_000,
    retries: 2,
  });
}

export async function connectOperatorClients(
  config: OperatorConfig,
  logger: Logger,
): Promise<OperatorClients> {
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const keyEncryptionKeys = await connectKeyEncryptionKeys(
    config,
    mongo.client.db(PLATFORM_DATABASE),
    logger,
  );
  const redis = await connectRedis(config.REDIS_URL, logger);
  const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'parley-operator'), logger);
  const kafkaPlatformatic = createPlatformaticAdmin(
    config.KAFKA_BROKERS,
    config.KAFKA_USERNAME,
    config.KAFKA_PASSWORD,
  );
  const s3 = createS3Client(config);
  const s3Admin = new MinioAdmin({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
  });
  const elasticsearch = new ElasticsearchClient({
    node: config.ELASTICSEARCH_URL,
    requestTimeout: 15_000,
    maxRetries: 1,
  });
  return {
    mongo,
    redis,
    kafka,
    kafkaPlatformatic,
    s3,
    s3Admin,
    elasticsearch,
    keyEncryptionKeys,
    stoppables: [
      { name: 'kafka-platformatic', stop: () => kafkaPlatformatic.close() },
      kafka,
      { name: 'elasticsearch', stop: () => elasticsearch.close() },
      redis,
      keyEncryptionKeys,
      mongo,
    ],
  };
}
