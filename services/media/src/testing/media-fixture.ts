/**
 * For integration tests: the media service assembled by createComponents as main.ts does, over
 * the real local stack (Mongo-wire, Redis, MinIO from the env the global setup exports), for a
 * tenant the test names (its bucket created here, and emptied and removed at close), with the
 * keyring and the membership the test gives (a messaging service on a port of the test's).
 */
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER } from '@parley/contracts';
import {
  connectMongo,
  connectRedis,
  createS3Client,
  type KafkaConnection,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
  type ServiceApp,
  startWorkers,
  stopWorkers,
  worker,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { MessagingClient } from '@parley/messaging-client';
import { kafkaTopic, mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import type { Client } from 'minio';
import { buildApp } from '../app.ts';
import { createComponents, type MediaComponents } from '../components.ts';
import { MessagingMembership } from '../domain/membership.ts';
import type { MediaDataKeys } from '../domain/uploads.ts';
import { mediaSettingsSchema } from '../settings.ts';
import { thumbnailWorker } from '../workers/thumbnails.ts';

export const MEDIA_TEST_TOKEN = 'test-media-service-token-0123456789';

export interface MediaFixture {
  app: ServiceApp;
  components: MediaComponents;
  s3: Client;
  mongo: MongoConnection;
  redis: RedisConnection;
  /** Headers of a call as `userId` through the service credential. */
  as(userId: string, roles?: string[]): Record<string, string>;
  /** Creates the tenant's bucket (as the operator does) and removes it at close. */
  addTenant(tenant: string): Promise<void>;
  close(): Promise<void>;
}

export async function openMediaFixture(options: {
  keyring: MediaDataKeys;
  messagingUrl: string;
  messagingToken: string;
  settings?: Record<string, string>;
  /** The credential media accepts (default MEDIA_TEST_TOKEN): a gateway's, when one calls it. */
  callerToken?: string;
  /** With the broker: the consumer removing deleted messages' files runs, on this tenant's topic only. */
  kafka?: KafkaConnection;
  consumeTenant?: string;
  /** The thumbnail worker runs, over the fixture's own tenants only (every `intervalMs`). */
  thumbnails?: { intervalMs: number };
}): Promise<MediaFixture> {
  const callerToken = options.callerToken ?? MEDIA_TEST_TOKEN;
  const settings = loadConfig(mediaSettingsSchema, { ...process.env, ...options.settings });
  const logger = createSilentLogger('media');
  const groupId = `media-test-${options.consumeTenant ?? 'none'}`;
  const mongo = await connectMongo(settings.MONGO_URL, logger);
  const redis = await connectRedis(settings.REDIS_URL, logger);
  const s3 = createS3Client(settings);
  const components = createComponents(settings, {
    logger,
    mongo,
    redis,
    s3,
    keyring: options.keyring,
    membership: new MessagingMembership(
      new MessagingClient({
        baseUrl: options.messagingUrl,
        serviceToken: options.messagingToken,
        attempts: 1,
      }),
    ),
    callers: callerToken,
    tenantGateCacheMs: 0,
    ...(options.kafka && options.consumeTenant
      ? {
          kafka: options.kafka,
          consumer: {
            pattern: new RegExp(`^${kafkaTopic(options.consumeTenant, 'messages').replace(/\./g, '\\.')}$`),
            groupId,
          },
        }
      : {}),
  });
  const app = buildApp(components);
  const tenants: string[] = [];
  const consumers = [
    ...(components.deletionsConsumer ? [components.deletionsConsumer] : []),
    // Narrowed to this fixture's tenants: the stack is shared, and other tests' uploads are theirs.
    ...(options.thumbnails
      ? [
          worker(
            'media.thumbnails',
            thumbnailWorker({
              maker: components.thumbnails,
              tenants: async () => [...tenants],
              intervalMs: options.thumbnails.intervalMs,
              logger,
            }),
          ),
        ]
      : []),
  ];
  await startWorkers(consumers, logger);
  return {
    app,
    components,
    s3,
    mongo,
    redis,
    as: (userId, roles = ['member']) => ({
      'x-service-token': callerToken,
      [ACTING_USER_HEADER]: userId,
      [ACTING_ROLES_HEADER]: roles.join(','),
    }),
    async addTenant(tenant) {
      tenants.push(tenant);
      const bucket = s3BucketName(tenant);
      if (!(await s3.bucketExists(bucket))) await s3.makeBucket(bucket);
    },
    async close() {
      await stopWorkers(consumers, logger);
      if (options.kafka && consumers.length > 0)
        await options.kafka.admin.deleteGroups([groupId]).catch(() => {});
      await app.close();
      for (const tenant of tenants) {
        await removeBucket(s3, s3BucketName(tenant));
        await mongo.client
          .db(mongoDatabaseName(tenant))
          .dropDatabase()
          .catch(() => undefined);
      }
      await redis.stop();
      await mongo.stop();
    },
  };
}

/** Empties (objects and incomplete uploads) and removes a bucket; a missing bucket is fine. */
export async function removeBucket(s3: Client, bucket: string): Promise<void> {
  try {
    const names: string[] = [];
    for await (const item of s3.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
    if (names.length > 0) await s3.removeObjects(bucket, names);
    for await (const upload of s3.listIncompleteUploads(bucket, '', true))
      await s3.removeIncompleteUpload(bucket, upload.key);
    await s3.removeBucket(bucket);
  } catch (error) {
    if ((error as { code?: string }).code !== 'NoSuchBucket') throw error;
  }
}
