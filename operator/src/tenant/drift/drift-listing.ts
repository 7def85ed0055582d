/**
 * What the stores hold, read in one batched listing per store for every tenant at once: one topic
 * listing, one ACL description (every principal), one Redis ACL LIST, one Mongo database listing
 * (and one usersInfo over all databases where the server manages users), one bucket listing, one
 * MinIO user listing and one canned-policy listing, one index and one alias listing, and one
 * Elasticsearch user and one role listing (answered "no security" by a server without it). The cost of a sweep is then a handful of calls whatever the number of
 * tenants, where a reconcile per tenant costs dozens of calls each (which is why the resync that
 * repairs drift by reconciling everything runs only every 5 minutes).
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { MinioAdmin } from '@parley/minio-admin';
import type { AclFilter, Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { Client as MinioClient } from 'minio';
import type { Db, MongoServerError } from 'mongodb';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from '../../kafka-acl-enums.ts';
import { noSecurityAnswer } from '../steps/search-security.ts';

/** The stores' contents that drift detection compares against each tenant's desired state. */
export interface StoreListing {
  topics: ReadonlySet<string>;
  /** ACL keys (see aclKeyOf) by principal, e.g. `User:tenant-acme`. */
  aclsByPrincipal: ReadonlyMap<string, ReadonlySet<string>>;
  redisUsers: ReadonlySet<string>;
  databases: ReadonlySet<string>;
  /** `<db>.<user>`; undefined where the server has no user management (FerretDB). */
  mongoUsers: ReadonlySet<string> | undefined;
  buckets: ReadonlySet<string>;
  /** MinIO users by access key: the policies mapped to each and the groups it is in. */
  s3Users: ReadonlyMap<string, { policies: readonly string[]; groups: readonly string[] }>;
  /** MinIO canned policies by name, with their documents. */
  s3Policies: ReadonlyMap<string, unknown>;
  /** Index and alias names under `parley-`. */
  indices: ReadonlySet<string>;
  /** Elasticsearch users and roles; undefined where the server has no security (the local 7.10). */
  searchUsers: ReadonlySet<string> | undefined;
  searchRoles: ReadonlySet<string> | undefined;
}

export interface ListingClients {
  /** The topic listing (kafkajs). */
  kafka: Admin;
  /** The ACL listing: @platformatic/kafka sends DescribeAcls alone, where kafkajs first asks for every topic's metadata. */
  kafkaAcls: PlatformaticAdmin;
  redis: Redis;
  /** The `admin` database: listDatabases and usersInfo forAllDBs are asked there. */
  mongoAdmin: Db;
  s3: MinioClient;
  s3Admin: MinioAdmin;
  elasticsearch: ElasticsearchClient;
}

/** One ACL as a comparable string (the same fields aclChanges compares). */
export function aclKeyOf(a: {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}): string {
  return [
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.principal,
    a.host,
    a.operation,
    a.permissionType,
  ].join('|');
}

/** Server answers meaning "no user management here" (CommandNotFound, NotImplemented). */
const NO_USERS = new Set([59, 115, 238]);

export async function listStores(c: ListingClients): Promise<StoreListing> {
  const [
    topics,
    acls,
    redisUsers,
    databases,
    mongoUsers,
    buckets,
    s3Users,
    s3Policies,
    indices,
    aliases,
    searchUsers,
    searchRoles,
  ] = await Promise.all([
    c.kafka.listTopics().then((t) => new Set(t)),
    listAllAcls(c.kafkaAcls),
    listRedisUsers(c.redis),
    c.mongoAdmin
      .command({ listDatabases: 1, nameOnly: true })
      .then((r) => new Set((r.databases as { name: string }[]).map((d) => d.name))),
    listMongoUsers(c.mongoAdmin),
    c.s3.listBuckets().then((b) => new Set(b.map((x) => x.name))),
    listS3Users(c.s3Admin),
    c.s3Admin.listCannedPolicies().then((p) => new Map(Object.entries(p))),
    c.elasticsearch.cat
      .indices({ index: 'parley-*', h: 'index', format: 'json' })
      .then((r) => (r.body as { index: string }[]).map((i) => i.index)),
    // A tenant placed Shared has an alias by its index's name instead of an index.
    c.elasticsearch.cat
      .aliases({ name: 'parley-*', h: 'alias', format: 'json' })
      .then((r) => (r.body as { alias: string }[]).map((a) => a.alias)),
    unlessNoSecurity(c.elasticsearch.security.getUser()),
    unlessNoSecurity(c.elasticsearch.security.getRole()),
  ]);
  return {
    topics,
    aclsByPrincipal: acls,
    redisUsers,
    databases,
    mongoUsers,
    buckets,
    s3Users,
    s3Policies,
    indices: new Set([...indices, ...aliases]),
    searchUsers,
    searchRoles,
  };
}

/** list-users answers `policyName` as MinIO's comma-separated list. */
async function listS3Users(admin: MinioAdmin): Promise<StoreListing['s3Users']> {
  const users = await admin.listUsers();
  return new Map(
    Object.entries(users).map(([accessKey, info]) => [
      accessKey,
      {
        policies: (info.policyName ?? '').split(',').filter(Boolean),
        groups: info.memberOf ?? [],
      },
    ]),
  );
}

/** The names an Elasticsearch listing answers (users or roles by name), or undefined without security. */
async function unlessNoSecurity(listing: Promise<{ body: unknown }>): Promise<Set<string> | undefined> {
  try {
    return new Set(Object.keys((await listing).body as Record<string, unknown>));
  } catch (error) {
    if (noSecurityAnswer(error) !== undefined) return undefined;
    throw error;
  }
}

/** Every ACL of every principal in one DescribeAcls (a null principal is Kafka's "any"). */
async function listAllAcls(kafka: PlatformaticAdmin): Promise<Map<string, Set<string>>> {
  const resources = await kafka.describeAcls({
    filter: {
      resourceType: AclResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: null,
      host: null,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    } as AclFilter,
  });
  const byPrincipal = new Map<string, Set<string>>();
  for (const resource of resources) {
    for (const acl of resource.acls) {
      const key = aclKeyOf({
        ...acl,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        resourcePatternType: resource.resourcePatternType,
      });
      const own = byPrincipal.get(acl.principal) ?? new Set<string>();
      own.add(key);
      byPrincipal.set(acl.principal, own);
    }
  }
  return byPrincipal;
}

/** `ACL LIST` answers one line per user, `user <name> <rules...>`. */
async function listRedisUsers(redis: Redis): Promise<Set<string>> {
  const lines = (await redis.call('ACL', 'LIST')) as string[];
  return new Set(lines.map((line) => line.split(' ')[1] ?? ''));
}

async function listMongoUsers(admin: Db): Promise<Set<string> | undefined> {
  try {
    const r = await admin.command({ usersInfo: { forAllDBs: true } });
    return new Set((r.users as { user: string; db: string }[]).map((u) => `${u.db}.${u.user}`));
  } catch (error) {
    const code = (error as MongoServerError).code;
    if (typeof code === 'number' && NO_USERS.has(code)) return undefined;
    throw error;
  }
}
