/**
 * For integration tests: the search service assembled by createComponents over the real stack
 * (Mongo-wire for keys, Redis for the tenant gate, Kafka, Elasticsearch), its consumer narrowed to
 * the test's tenant topic under a group of its own, and the tenant's index and group removed
 * afterwards. The test brings the tenant keys (a keyring) and the messaging service's address.
 */
import type { Keyring } from '@parley/keyring';
import {
  type KafkaConnection,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
  type ServiceApp,
  startWorkers,
  stopWorkers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { kafkaTopic, searchIndexName } from '@parley/tenancy';
import type { LightMyRequestResponse } from 'fastify';
import type { Db } from 'mongodb';
import { buildApp } from '../app.ts';
import { createComponents, type SearchComponents } from '../components.ts';
import { noAttachmentNames } from '../domain/attachment-names.ts';
import { searchSettingsSchema } from '../settings.ts';

export interface SearchFixture {
  app: ServiceApp;
  components: SearchComponents;
  /** GET /search as `userId` of `tenant` (default: the fixture's tenant). */
  search(
    userId: string,
    q: string,
    options?: { tenant?: string; limit?: number; cursor?: string },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function openSearchFixture(options: {
  tenant: string;
  keyring: Keyring;
  mongo: MongoConnection;
  redis: RedisConnection;
  kafka?: KafkaConnection;
  messagingUrl: string;
  /** A media service to ask for the names of a message's files; without one, no file is named. */
  mediaUrl?: string;
  /** The credential search presents to messaging (and accepts from its callers here). */
  serviceToken: string;
  /** The registry's database (each tenant's language), e.g. messaging's fixture's; else parley_platform. */
  platformDb?: Db;
}): Promise<SearchFixture> {
  const logger = createSilentLogger('search');
  const settings = {
    ...loadConfig(searchSettingsSchema),
    MESSAGING_URL: options.messagingUrl,
    ...(options.mediaUrl ? { MEDIA_URL: options.mediaUrl } : {}),
    SERVICE_TOKEN: options.serviceToken,
  };
  const groupId = `search-test-${options.tenant}`;
  const components = await createComponents(
    settings,
    {
      logger,
      mongo: options.mongo,
      redis: options.redis,
      keyring: options.keyring,
      ...(options.platformDb ? { platformDb: options.platformDb } : {}),
      ...(options.kafka ? { kafka: options.kafka } : {}),
    },
    {
      callers: options.serviceToken,
      tenantStatusCacheMs: 0,
      ...(options.mediaUrl ? {} : { attachmentNames: noAttachmentNames }),
      consumer: {
        pattern: new RegExp(`^${kafkaTopic(options.tenant, 'messages').replace(/\./g, '\\.')}$`),
        groupId,
      },
    },
  );
  const app = buildApp(components);
  // Not the GDPR participation: it would answer every tenant's gdpr topic under search.gdpr (a test
  // of it starts its own, narrowed to its tenant).
  const workers = components.workers.filter((w) => w !== components.gdpr);
  await startWorkers(workers, logger);
  return {
    app,
    components,
    search(userId, q, searchOptions = {}) {
      const query = new URLSearchParams({ q });
      if (searchOptions.limit) query.set('limit', String(searchOptions.limit));
      if (searchOptions.cursor) query.set('cursor', searchOptions.cursor);
      return app.inject({
        method: 'GET',
        url: `/v1/tenants/${searchOptions.tenant ?? options.tenant}/search?${query}`,
        headers: {
          'x-service-token': options.serviceToken,
          'x-parley-user': userId,
          'x-parley-roles': 'member',
        },
      });
    },
    async close() {
      await stopWorkers(workers, logger);
      await app.close();
      await components.es.indices.delete({
        index: searchIndexName(options.tenant),
        ignore_unavailable: true,
      });
      await components.es.close();
      if (options.kafka) await options.kafka.admin.deleteGroups([groupId]).catch(() => {});
    },
  };
}
