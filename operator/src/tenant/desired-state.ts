/**
 * What a Tenant should have in every store, computed from its spec alone (Strimzi's model: pure
 * desired state, then steps that make the world match it). Nothing here talks to a server, so
 * tests check names, ACL rules, topic settings and quotas without a cluster.
 */
import {
  kafkaPrincipal,
  kafkaTopic,
  kafkaTopicPrefix,
  mongoDatabaseName,
  redisAclUser,
  redisKeyPrefix,
  s3BucketName,
  searchIndexName,
  TENANT_STREAMS,
  type TenantRuntimeRecord,
  type TenantStatus,
  type TenantStream,
  tenantRuntimeKey,
} from '@parley/tenancy';
import type { Plan, Tenant } from '../api/resources.ts';

export interface Quotas {
  users: number;
  storageGiB: number;
  messagesPerSecond: number;
}

/** Quotas a plan gives when the spec leaves them out. */
export const PLAN_QUOTAS: Record<Plan, Quotas> = {
  free: { users: 10, storageGiB: 1, messagesPerSecond: 5 },
  team: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
  enterprise: { users: 50_000, storageGiB: 5_000, messagesPerSecond: 1_000 },
};

export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
}

export interface CollectionSpec {
  name: string;
  indexes: IndexSpec[];
}

/**
 * The collections every tenant database starts with, and the indexes their hot queries need.
 * Services may add their own indexes; these are the ones every tenant must have from day one.
 */
export const TENANT_COLLECTIONS: readonly CollectionSpec[] = [
  { name: 'conversations', indexes: [{ name: 'updated', key: { updatedAt: -1 } }] },
  {
    name: 'members',
    indexes: [
      { name: 'conversation_user', key: { conversationId: 1, userId: 1 }, unique: true },
      { name: 'user_conversations', key: { userId: 1, conversationId: 1 } },
    ],
  },
  {
    name: 'messages',
    indexes: [{ name: 'conversation_timeline', key: { conversationId: 1, createdAt: 1 } }],
  },
  {
    name: 'attachments',
    indexes: [{ name: 'conversation_files', key: { conversationId: 1, createdAt: 1 } }],
  },
];

export interface TopicSpec {
  name: string;
  stream: TenantStream;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/**
 * Per-stream topic settings. Lifecycle and key events are compacted facts a new consumer must be
 * able to read from the start; messages and audit keep time-based retention (a RetentionPolicy
 * may shorten messages' retention.ms later).
 */
const STREAM_CONFIG: Record<TenantStream, Record<string, string>> = {
  messages: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600_000) },
  members: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600_000) },
  keys: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  audit: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  lifecycle: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  gdpr: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  // Sealed links and invitations: kept no longer than the longest of them stays valid (7 days).
  notifications: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600_000) },
};

export type KafkaAclOperation = 'READ' | 'WRITE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS';

export interface KafkaAclSpec {
  resourceType: 'TOPIC' | 'GROUP';
  /** PREFIXED: every topic/group whose name starts with it. */
  prefix: string;
  /**
   * What the tenant's services do and nothing more: produce and consume its topics and use its
   * consumer groups. Creating, deleting or reconfiguring topics is the operator's job.
   */
  operations: KafkaAclOperation[];
}

export interface DesiredTenant {
  id: string;
  namespace: string;
  displayName: string;
  plan: Plan;
  quotas: Quotas;
  suspended: boolean;
  admins: string[];
  mongo: { database: string; collections: readonly CollectionSpec[] };
  redis: { user: string; keyPattern: string; channelPattern: string; runtimeKey: string };
  kafka: {
    principal: string;
    topics: TopicSpec[];
    acls: KafkaAclSpec[];
    /** Kafka client quotas for the tenant's user, in bytes per second. */
    quotas: { producerByteRate: number; consumerByteRate: number };
  };
  bucket: string;
  searchIndex: string;
  secretName: string;
}

/** An average message with its envelope is well under 4 KiB; bursts of 4x the sustained rate pass. */
const BYTES_PER_MESSAGE_BUDGET = 4096 * 4;

export function desiredTenant(tenant: Tenant): DesiredTenant {
  const id = tenant.metadata.name;
  const spec = tenant.spec;
  const quotas: Quotas = { ...PLAN_QUOTAS[spec.plan], ...stripUndefined(spec.quotas ?? {}) };
  const partitions = spec.kafka?.partitions ?? 3;
  const replicationFactor = spec.kafka?.replicationFactor ?? 1;
  const principal = kafkaPrincipal(id);
  const prefix = redisKeyPrefix(id);
  return {
    id,
    namespace: tenant.metadata.namespace,
    displayName: spec.displayName,
    plan: spec.plan,
    quotas,
    suspended: spec.suspended ?? false,
    admins: [...(spec.admins ?? [])].sort(),
    mongo: { database: mongoDatabaseName(id), collections: TENANT_COLLECTIONS },
    redis: {
      user: redisAclUser(id),
      keyPattern: `${prefix}*`,
      channelPattern: `${prefix}*`,
      runtimeKey: tenantRuntimeKey(id),
    },
    kafka: {
      principal,
      topics: TENANT_STREAMS.map((stream) => ({
        name: kafkaTopic(id, stream),
        stream,
        partitions,
        replicationFactor,
        config: STREAM_CONFIG[stream],
      })),
      acls: [
        {
          resourceType: 'TOPIC',
          prefix: kafkaTopicPrefix(id),
          operations: ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'],
        },
        { resourceType: 'GROUP', prefix: kafkaTopicPrefix(id), operations: ['READ', 'DESCRIBE'] },
      ],
      quotas: {
        producerByteRate: quotas.messagesPerSecond * BYTES_PER_MESSAGE_BUDGET,
        consumerByteRate: quotas.messagesPerSecond * BYTES_PER_MESSAGE_BUDGET * 4,
      },
    },
    bucket: s3BucketName(id),
    searchIndex: searchIndexName(id),
    secretName: tenantSecretName(id),
  };
}

export function tenantSecretName(id: string): string {
  return `parley-tenant-${id}-credentials`;
}

/**
 * The Redis ACL rules for the tenant's user. `reset` first, so re-applying converges on exactly
 * these rules whatever the user had (drift from a hand edit is undone). Key and channel access is
 * limited to the tenant's prefix; dangerous and admin commands (KEYS, FLUSHALL, CONFIG, ACL, ...)
 * are refused, and so are the commands that name or count keys and channels without taking a key
 * (SCAN, RANDOMKEY, DBSIZE, PUBSUB CHANNELS...): key patterns cannot filter their answers, so
 * they would show one tenant another's key and channel names. SELECT stays on database 0.
 */
export function redisAclRules(desired: DesiredTenant, password: string): string[] {
  return [
    'reset',
    desired.suspended ? 'off' : 'on',
    `>${password}`,
    `~${desired.redis.keyPattern}`,
    `&${desired.redis.channelPattern}`,
    '+@all',
    '-@dangerous',
    '-@admin',
    '-scan',
    '-randomkey',
    '-dbsize',
    '-pubsub',
    '-select',
    '-swapdb',
    '-move',
  ];
}

/**
 * The runtime record every service reads from Redis to decide whether and how much to serve. Its
 * status is the registry's (packages/tenancy defines both), decided by recordTenantState.
 */
export function runtimeRecord(desired: DesiredTenant, status: TenantStatus, generation: number): TenantRuntimeRecord {
  return { status, plan: desired.plan, quotas: { ...desired.quotas }, generation };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
