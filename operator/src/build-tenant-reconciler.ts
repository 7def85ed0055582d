/**
 * Assembles the Tenant reconciler: its steps in phases (Registry claims the id first; the stores
 * are provisioned side by side; the Secret, then Runtime publishes the outcome last) and its
 * deletion policy. Tests build it the same way with their own
 * clients, e.g. one pointed at a dead Kafka broker.
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Logger } from '@parley/kit';
import type { MinioAdmin } from '@parley/minio-admin';
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { Client as MinioClient } from 'minio';
import type { MongoClient } from 'mongodb';
import type { EventRecorder } from './manager/event-recorder.ts';
import type { Kube } from './manager/kube-client.ts';
import { CoalescedPrincipalAdmin } from './tenant/coalesced-principal-admin.ts';
import { CoalescedTopicAdmin } from './tenant/coalesced-topic-admin.ts';
import type { ConnectionFacts } from './tenant/credentials.ts';
import { registryCollection } from './tenant/registry.ts';
import { needing, type TenantStep } from './tenant/step.ts';
import { BucketStep } from './tenant/steps/bucket-step.ts';
import { CredentialsStep } from './tenant/steps/credentials-step.ts';
import { InvitationsStep } from './tenant/steps/invitations-step.ts';
import { KafkaPrincipalStep } from './tenant/steps/kafka-principal-step.ts';
import { KafkaTopicsStep } from './tenant/steps/kafka-topics-step.ts';
import { KeysStep, type TenantKeys } from './tenant/steps/keys-step.ts';
import { MongoStep } from './tenant/steps/mongo-step.ts';
import { RedisStep } from './tenant/steps/redis-step.ts';
import { RegistryStep } from './tenant/steps/registry-step.ts';
import { RuntimeStep } from './tenant/steps/runtime-step.ts';
import { S3UserStep } from './tenant/steps/s3-user-step.ts';
import { SearchIndexStep } from './tenant/steps/search-index-step.ts';
import { TenantDeletion } from './tenant/tenant-deletion.ts';
import { TenantReconciler, type TenantReconcilerOptions } from './tenant/tenant-reconciler.ts';

export interface TenantReconcilerDeps {
  kube: Kube;
  mongo: MongoClient;
  redis: Redis;
  kafka: Admin;
  kafkaPlatformatic: PlatformaticAdmin;
  s3: MinioClient;
  s3Admin: MinioAdmin;
  elasticsearch: ElasticsearchClient;
  keys: TenantKeys;
  events: EventRecorder;
  logger: Logger;
  connection: ConnectionFacts;
  auth: { url: string; serviceToken: string };
  searchIndexReplicas: number;
  stepTimeoutMs: number;
  /** The operator's own namespace: the tenants' credential stores live there (credential-secrets.ts). */
  credentialStoreNamespace: string;
  /** How often a deletion a legal hold blocks looks at the holds again (default 60 s). */
  holdRecheckMs?: number;
  observeStep?: (step: string, status: string, seconds: number) => void;
  observeReady?: TenantReconcilerOptions['observeReady'];
}

/**
 * The provisioning phases. `credentials` is where the tenant's credentials go: a Secret in a
 * cluster (CredentialsStep), an env file for local provisioning without one.
 */
export function tenantPhases(
  d: Omit<
    TenantReconcilerDeps,
    | 'kube'
    | 'events'
    | 'logger'
    | 'connection'
    | 'stepTimeoutMs'
    | 'holdRecheckMs'
    | 'credentialStoreNamespace'
  >,
  credentials: TenantStep,
): TenantStep[][] {
  const registry = registryCollection(d.mongo);
  return [
    [new RegistryStep(registry)],
    [
      new MongoStep(d.mongo),
      new RedisStep(d.redis),
      new KafkaTopicsStep(new CoalescedTopicAdmin(d.kafka, d.kafkaPlatformatic)),
      new KafkaPrincipalStep(new CoalescedPrincipalAdmin(d.kafkaPlatformatic)),
      new BucketStep(d.s3),
      new S3UserStep(d.s3Admin),
      new SearchIndexStep(d.elasticsearch, d.searchIndexReplicas),
      new KeysStep(d.keys),
      new InvitationsStep({ authUrl: d.auth.url, serviceToken: d.auth.serviceToken, timeoutMs: 5_000 }),
    ],
    // The credentials say whether a Mongo user and an Elasticsearch user exist (learned by those
    // steps): the Secret is written as soon as both are done, alongside the other stores.
    [needing(['Mongo', 'SearchIndex'], credentials)],
    // Last: publish Ready (or not) from every step's outcome.
    [new RuntimeStep(registry, d.redis)],
  ];
}

export function buildTenantReconciler(d: TenantReconcilerDeps): TenantReconciler {
  const registry = registryCollection(d.mongo);
  return new TenantReconciler({
    kube: d.kube,
    events: d.events,
    logger: d.logger,
    stepTimeoutMs: d.stepTimeoutMs,
    holdRecheckMs: d.holdRecheckMs ?? 60_000,
    credentialStoreNamespace: d.credentialStoreNamespace,
    ...(d.observeStep ? { observeStep: d.observeStep } : {}),
    ...(d.observeReady ? { observeReady: d.observeReady } : {}),
    phases: tenantPhases(d, new CredentialsStep(d.kube, d.connection, d.credentialStoreNamespace)),
    deletion: new TenantDeletion({
      mongo: d.mongo,
      registry,
      redis: d.redis,
      kafka: d.kafka,
      kafkaPlatformatic: d.kafkaPlatformatic,
      s3: d.s3,
      s3Admin: d.s3Admin,
      elasticsearch: d.elasticsearch,
      keys: d.keys,
      events: d.events,
      logger: d.logger,
      credentialStore: { kube: d.kube, namespace: d.credentialStoreNamespace },
    }),
  });
}
