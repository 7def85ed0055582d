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
  redisWorkloadKeyPrefix,
  s3BucketName,
  searchIndexName,
  TENANT_STREAMS,
  type TenantLanguage,
  type TenantRuntimeRecord,
  type TenantStatus,
  type TenantStream,
  tenantRuntimeKey,
} from '@parley/tenancy';
import type { GdprErasureMode, Plan, Tenant } from '../api/resources.ts';

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
  // Each conversation's seq counter (messaging's domain/seq-counters.ts): readers of the
  // conversations need it for a conversation's last seq, so the tenant's own user reads it too.
  { name: 'conversation_seqs', indexes: [] },
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
/** How long a superseded or deleted message's record may stay in the messages topic before compaction must remove it. */
export const MESSAGES_COMPACTION_LAG_MS = 30 * 60_000;

const STREAM_CONFIG: Record<TenantStream, Record<string, string>> = {
  // A changelog keyed by message id (services/messaging): compaction keeps each message's newest
  // record only, and a delete's tombstone removes the earlier ones. Segments roll and become
  // compactable within 30 min each, so an edited-away or deleted body is gone from the topic
  // within about an hour (plus the cleaner's 15 s backoff); tombstones stay a day for slow readers.
  messages: {
    'cleanup.policy': 'compact,delete',
    'retention.ms': String(7 * 24 * 3600_000),
    'max.compaction.lag.ms': String(MESSAGES_COMPACTION_LAG_MS),
    'segment.ms': String(MESSAGES_COMPACTION_LAG_MS),
    'delete.retention.ms': String(24 * 3600_000),
  },
  members: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600_000) },
  keys: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  audit: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  lifecycle: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  gdpr: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600_000) },
  // Sealed links and invitations: kept no longer than the longest of them stays valid (7 days).
  notifications: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600_000) },
  app: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600_000) },
};

/** What the tenant's own credentials may do with one of its streams. */
export type StreamAccess = 'none' | 'read' | 'readWrite';

/**
 * The tenant's own credentials are for the tenant's workloads (its integrations, bots, exports):
 * follow its conversations as they change, and talk to each other on a stream of their own.
 * Parley's services use platform credentials for everything else. A stream whose only writer is
 * a Parley service is at most readable, and only where what it carries is the tenant's to see:
 * - audit, gdpr, notifications, keys: none. Their readers act on what arrives (append it to the
 *   audit chain, erase or export a person, mail a link, drop key caches), so a write is a forged
 *   audit record, an erasure, a phishing mail sent as Parley or a forged rotation; and what they
 *   carry (audit metadata, data subjects, sealed sign-up links) is served, where it is served at
 *   all, through the compliance and auth APIs that check who asks.
 * - messages, members, lifecycle: read. The tenant's own conversations and its own state.
 * - app: read and write; no Parley service reads it.
 * The operator README's credential matrix is this table; the integration test checks each cell.
 */
export const TENANT_STREAM_ACCESS: Record<TenantStream, StreamAccess> = {
  messages: 'read',
  members: 'read',
  keys: 'none',
  audit: 'none',
  lifecycle: 'read',
  gdpr: 'none',
  notifications: 'none',
  app: 'readWrite',
};

export type KafkaAclOperation = 'READ' | 'WRITE' | 'DESCRIBE';

const STREAM_OPERATIONS: Record<StreamAccess, KafkaAclOperation[]> = {
  none: [],
  read: ['READ', 'DESCRIBE'],
  readWrite: ['READ', 'WRITE', 'DESCRIBE'],
};

export interface KafkaAclSpec {
  resourceType: 'TOPIC' | 'GROUP';
  /** LITERAL: exactly the resource named; PREFIXED: every one whose name starts with it. */
  patternType: 'LITERAL' | 'PREFIXED';
  name: string;
  /**
   * Allowed operations and nothing more (the broker denies what no ACL allows). Creating,
   * deleting or reconfiguring topics is the operator's job.
   */
  operations: KafkaAclOperation[];
}

/**
 * A custom role in the tenant's database, where the server has them (MongoDB; FerretDB has
 * neither users nor roles): the privileges of the tenant's own Mongo user, in createRole's form.
 */
export interface MongoRoleSpec {
  role: string;
  privileges: { resource: { db: string; collection: string }; actions: string[] }[];
  roles: [];
}

/** The role's name in every tenant database. */
export const TENANT_WORKLOAD_ROLE = 'parley-tenant-workload';

/**
 * What the tenant's own Mongo user may do: read (`find`) its conversations (and their seq
 * counters), members, messages and attachments, the collections the messaging service writes for it (bodies sealed by the tenant's
 * keys). Nothing else: every other collection of the tenant database is a Parley service's own
 * (auth's users with their password hashes, roles, sessions and invitations; compliance's audit
 * chain, legal holds and GDPR jobs; each service's `_outbox`, whose documents a relay publishes
 * with platform credentials), and no collection is writable: the services own their writes (the
 * outbox, sequence numbers, audit) and a direct write would bypass them.
 */
export function mongoWorkloadRole(database: string): MongoRoleSpec {
  return {
    role: TENANT_WORKLOAD_ROLE,
    privileges: TENANT_COLLECTIONS.map((c) => ({
      resource: { db: database, collection: c.name },
      actions: ['find'],
    })),
    roles: [],
  };
}

export interface DesiredTenant {
  id: string;
  namespace: string;
  displayName: string;
  plan: Plan;
  quotas: Quotas;
  suspended: boolean;
  admins: string[];
  mongo: { database: string; collections: readonly CollectionSpec[]; workloadRole: MongoRoleSpec };
  redis: {
    user: string;
    /** Every key of the tenant, Parley's and its workloads': what deletion purges. Not the ACL's. */
    keyPattern: string;
    runtimeKey: string;
    /** What the tenant's ACL user may touch (see redisAclRules). */
    workload: {
      /** Keys and channels it may read and write: `t:<id>:app:`. */
      keyPrefix: string;
      /** Keys it may read and not write: its runtime record (status and quotas are the operator's). */
      readOnlyKeys: string[];
    };
  };
  kafka: {
    principal: string;
    /** `parley.<id>.`: every topic of the tenant starts with it (its own groups too). */
    topicPrefix: string;
    topics: TopicSpec[];
    acls: KafkaAclSpec[];
    /** Kafka client quotas for the tenant's user, in bytes per second. */
    quotas: { producerByteRate: number; consumerByteRate: number };
  };
  bucket: string;
  searchIndex: string;
  placement: { search: 'Dedicated' | 'Shared' };
  /** spec.gdpr as the registry carries it (absent: services use their deployment default). */
  gdpr: { erasureMode?: GdprErasureMode };
  /** spec.language as the registry carries it (absent: the standard analyzer). */
  language?: TenantLanguage;
  secretName: string;
}

/**
 * Search placement when the spec does not say: a free tenant is Shared (its index would cost a
 * shard for little data, and free tenants are the many), a paying one Dedicated.
 */
export const DEFAULT_SEARCH_PLACEMENT: Record<Plan, 'Dedicated' | 'Shared'> = {
  free: 'Shared',
  team: 'Dedicated',
  enterprise: 'Dedicated',
};

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
    mongo: {
      database: mongoDatabaseName(id),
      collections: TENANT_COLLECTIONS,
      workloadRole: mongoWorkloadRole(mongoDatabaseName(id)),
    },
    redis: {
      user: redisAclUser(id),
      keyPattern: `${prefix}*`,
      runtimeKey: tenantRuntimeKey(id),
      workload: { keyPrefix: redisWorkloadKeyPrefix(id), readOnlyKeys: [tenantRuntimeKey(id)] },
    },
    kafka: {
      principal,
      topicPrefix: kafkaTopicPrefix(id),
      topics: TENANT_STREAMS.map((stream) => ({
        name: kafkaTopic(id, stream),
        stream,
        partitions,
        replicationFactor,
        config: STREAM_CONFIG[stream],
      })),
      acls: kafkaAcls(id),
      quotas: {
        producerByteRate: quotas.messagesPerSecond * BYTES_PER_MESSAGE_BUDGET,
        consumerByteRate: quotas.messagesPerSecond * BYTES_PER_MESSAGE_BUDGET * 4,
      },
    },
    bucket: s3BucketName(id),
    searchIndex: searchIndexName(id),
    placement: { search: spec.placement?.search ?? DEFAULT_SEARCH_PLACEMENT[spec.plan] },
    gdpr: spec.gdpr?.erasureMode ? { erasureMode: spec.gdpr.erasureMode } : {},
    ...(spec.language ? { language: spec.language } : {}),
    secretName: tenantSecretName(id),
  };
}

/**
 * The tenant principal's ACLs: per stream, LITERAL on the stream's one topic (a PREFIXED grant
 * would also cover any topic the platform adds later under the same name), with the operations
 * TENANT_STREAM_ACCESS gives; and its consumer groups, PREFIXED `parley.<id>.` (Parley's own groups
 * are named `<service>.<purpose>`, never under it, so a tenant cannot join or move them).
 */
function kafkaAcls(id: string): KafkaAclSpec[] {
  const topics = TENANT_STREAMS.filter((stream) => TENANT_STREAM_ACCESS[stream] !== 'none').map(
    (stream): KafkaAclSpec => ({
      resourceType: 'TOPIC',
      patternType: 'LITERAL',
      name: kafkaTopic(id, stream),
      operations: STREAM_OPERATIONS[TENANT_STREAM_ACCESS[stream]],
    }),
  );
  return [
    ...topics,
    {
      resourceType: 'GROUP',
      patternType: 'PREFIXED',
      name: kafkaTopicPrefix(id),
      operations: ['READ', 'DESCRIBE'],
    },
  ];
}

export function tenantSecretName(id: string): string {
  return `parley-tenant-${id}-credentials`;
}

/**
 * The Redis ACL rules for the tenant's user. `reset` first, so re-applying converges on exactly
 * these rules whatever the user had (drift from a hand edit is undone). Keys and channels: read
 * and write under the workloads' prefix `t:<id>:app:`, read only (`%R~`, Redis 7) on the runtime
 * record, and nothing else under `t:<id>:`: auth's sessions, lockout counters, credential versions
 * and revocation set and channel are Parley's (a tenant that could write them would clear its
 * lockouts, un-revoke a stolen session or forge a revocation), and the runtime record's status
 * and quotas are the operator's (a write would lift a suspension or raise a quota). Dangerous and admin commands (KEYS, FLUSHALL, CONFIG, ACL, ...)
 * are refused, and so are the commands that name or count keys and channels without taking a key
 * (SCAN, RANDOMKEY, DBSIZE, PUBSUB CHANNELS...): key patterns cannot filter their answers, so
 * they would show one tenant another's key and channel names. SELECT stays on database 0.
 */
export function redisAclRules(desired: DesiredTenant, password: string): string[] {
  return [
    'reset',
    desired.suspended ? 'off' : 'on',
    `>${password}`,
    `~${desired.redis.workload.keyPrefix}*`,
    ...desired.redis.workload.readOnlyKeys.map((key) => `%R~${key}`),
    `&${desired.redis.workload.keyPrefix}*`,
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
    // Scripts and functions are the server's, not the user's: flushing or killing them breaks
    // every other tenant's and Parley's own (auth's lockout script), and a loaded function
    // library is shared by all users. EVAL on its own keys stays.
    '-script|flush',
    '-script|kill',
    '-function',
  ];
}

/**
 * The runtime record every service reads from Redis to decide whether and how much to serve. Its
 * status is the registry's (packages/tenancy defines both), decided by recordTenantState.
 */
export function runtimeRecord(
  desired: DesiredTenant,
  status: TenantStatus,
  generation: number,
): TenantRuntimeRecord {
  return { status, plan: desired.plan, quotas: { ...desired.quotas }, generation };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
