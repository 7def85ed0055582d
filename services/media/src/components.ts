/**
 * The media service's object graph, in one place, so main.ts and the test fixture assemble
 * exactly the same service.
 */
import { GdprClient, GdprParticipation } from '@parley/compliance-client';
import type { Keyring } from '@parley/keyring';
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
  worker,
} from '@parley/kit';
import { MessagingClient } from '@parley/messaging-client';
import type { Client } from 'minio';
import { Attachments } from './domain/attachments.ts';
import { Deletions } from './domain/deletions.ts';
import { DownloadLinks } from './domain/download-links.ts';
import { Downloads } from './domain/downloads.ts';
import { type Membership, MessagingMembership } from './domain/membership.ts';
import { PersonalData } from './domain/personal-data.ts';
import { PlanLimits } from './domain/plan-limits.ts';
import { type MediaDataKeys, Uploads } from './domain/uploads.ts';
import { linkSecretOf, type MediaSettings } from './settings.ts';
import { MediaRecords } from './store/media-records.ts';
import { abandonedUploadsSweeper, tenantsWithMedia } from './workers/abandoned-uploads.ts';
import { createGdprParticipation } from './workers/gdpr-participation.ts';
import { messageDeletionsConsumer } from './workers/message-deletions.ts';
import { ThumbnailMaker, thumbnailWorker } from './workers/thumbnails.ts';
import { unattachedUploadsSweeper } from './workers/unattached-uploads.ts';

/** The services that call media: the gateway for users, messaging to bind attachments, search for their names. */
export const MEDIA_CALLERS = ['gateway', 'messaging', 'search'] as const;

export interface MediaComponents extends ServiceFoundation {
  records: MediaRecords;
  uploads: Uploads;
  downloads: Downloads;
  /** Signs and verifies the short-lived download links browsers use. */
  links: DownloadLinks;
  deletions: Deletions;
  attachments: Attachments;
  /** GDPR export and erasure of a person's uploads. */
  personalData: PersonalData;
  /** Also among `workers`; the test fixture starts it alone (no sweeper in a test). */
  deletionsConsumer?: Worker;
  /** Makes images' thumbnails; its worker is among `workers` (a test may run passes itself). */
  thumbnails: ThumbnailMaker;
  thumbnailWorker: Worker;
  s3: Client;
}

export function createComponents(
  settings: MediaSettings,
  clients: {
    logger: Logger;
    mongo: MongoConnection;
    redis: RedisConnection;
    s3: Client;
    keyring: Keyring | MediaDataKeys;
    /** The broker, for the consumer that removes deleted messages' files; left out by tests of the routes alone. */
    kafka?: KafkaConnection;
    /** A test's consumer narrowed to its own tenant's topic (pattern) and group. */
    consumer?: { pattern: RegExp; groupId: string };
    /** Tests may pass their own (a messaging app on a port of the test's); default: MESSAGING_URL. */
    membership?: Membership;
    /** SERVICE_TOKENS parsed by default; a bare token in tests. */
    callers?: ServiceCallers | string;
    tenantGateCacheMs?: number;
  },
): MediaComponents {
  const records = new MediaRecords(clients.mongo.client);
  const membership =
    clients.membership ??
    new MessagingMembership(
      new MessagingClient({ baseUrl: settings.MESSAGING_URL, serviceToken: settings.SERVICE_TOKEN }),
    );
  const dataKeys: MediaDataKeys = clients.keyring;
  const s3 = clients.s3;
  const deletions = new Deletions({ s3, records });
  const attachments = new Attachments({ records, deletions, mongo: clients.mongo.client });
  const personalData = new PersonalData({ records, deletions });
  // With a broker: registers with the compliance service, then answers export and erasure
  // requests on every tenant's gdpr topic (group media.gdpr), retrying while compliance is down.
  const gdpr = clients.kafka
    ? new GdprParticipation(
        createGdprParticipation({
          personalData,
          mongo: clients.mongo.client,
          mode: settings.GDPR_ERASURE_MODE,
          kafka: clients.kafka.kafka,
          producer: clients.kafka.producer,
          client: new GdprClient({ baseUrl: settings.COMPLIANCE_URL, serviceToken: settings.SERVICE_TOKEN }),
          logger: clients.logger,
          refreshMs: settings.GDPR_TOPIC_REFRESH_MS,
        }),
        clients.logger,
      )
    : undefined;
  const deletionsConsumer: Worker | undefined = clients.kafka
    ? messageDeletionsConsumer({
        kafka: clients.kafka.kafka,
        logger: clients.logger,
        attachments,
        refreshMs: settings.TOPIC_REFRESH_MS,
        ...(clients.consumer ?? {}),
      })
    : undefined;
  const downloads = new Downloads({ s3, records, membership, dataKeys });
  const thumbnails = new ThumbnailMaker({
    s3,
    records,
    downloads,
    dataKeys,
    limits: {
      maxPixels: settings.MEDIA_THUMBNAIL_MAX_PIXELS,
      maxInputBytes: settings.MEDIA_THUMBNAIL_MAX_INPUT_BYTES,
      edge: settings.MEDIA_THUMBNAIL_EDGE,
    },
    chunkSize: settings.MEDIA_CHUNK_BYTES,
  });
  const thumbnailsWorker = worker(
    'media.thumbnails',
    thumbnailWorker({
      maker: thumbnails,
      tenants: () => tenantsWithMedia(clients.mongo.client),
      intervalMs: settings.MEDIA_THUMBNAIL_INTERVAL_MS,
      logger: clients.logger,
    }),
  );
  const callers = clients.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS).only([...MEDIA_CALLERS]);
  return {
    logger: clients.logger,
    callers,
    tenantGate: new TenantGate(clients.redis.client, { cacheMs: clients.tenantGateCacheMs ?? 3_000 }),
    readiness: readinessOf(clients.mongo, clients.redis, ...(clients.kafka ? [clients.kafka] : [])),
    // Uploads do not go through the body limit (their own parser streams them); JSON bodies are small.
    bodyLimitBytes: 64 * 1024,
    records,
    s3,
    uploads: new Uploads({
      s3,
      records,
      membership,
      limits: new PlanLimits(clients.redis.client, settings.MEDIA_MAX_FILE_BYTES),
      dataKeys,
      allowedTypes: new Set(
        settings.MEDIA_ALLOWED_TYPES.split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
      chunkSize: settings.MEDIA_CHUNK_BYTES,
      partBytes: settings.MEDIA_PART_BYTES,
    }),
    downloads,
    thumbnails,
    thumbnailWorker: thumbnailsWorker,
    links: new DownloadLinks({ secret: linkSecretOf(settings), ttlSeconds: settings.MEDIA_LINK_TTL_S }),
    deletions,
    attachments,
    personalData,
    // Returned as well as listed: the test fixture starts this worker alone, and without it here
    // the fixture started no consumer at all (the removal tests timed out, 33e5bb4 took them out).
    ...(deletionsConsumer ? { deletionsConsumer } : {}),
    workers: [
      ...(deletionsConsumer ? [deletionsConsumer] : []),
      ...(gdpr ? [gdpr] : []),
      thumbnailsWorker,
      worker(
        'media.abandoned-uploads',
        abandonedUploadsSweeper({
          s3,
          records,
          tenants: () => tenantsWithMedia(clients.mongo.client),
          olderThanMs: settings.MEDIA_ABANDONED_AFTER_MS,
          intervalMs: settings.MEDIA_SWEEP_INTERVAL_MS,
          logger: clients.logger,
        }),
      ),
      worker(
        'media.unattached-uploads',
        unattachedUploadsSweeper({
          records,
          deletions,
          tenants: () => tenantsWithMedia(clients.mongo.client),
          ttlMs: settings.MEDIA_UNATTACHED_TTL_MS,
          intervalMs: settings.MEDIA_SWEEP_INTERVAL_MS,
          logger: clients.logger,
        }),
      ),
    ],
  };
}
