/**
 * The name of each tenant's resource in each store, from ARCHITECTURE.md's tenancy table. Every
 * service and the operator derive names here, so no two places can disagree about where a
 * tenant's data lives. Each function validates the id: a malformed id never becomes a name.
 */
import { assertTenantId } from './tenant-id.ts';

/** Parley's own registry of tenants. */
export const PLATFORM_DATABASE = 'parley_platform';

export function mongoDatabaseName(tenant: string): string {
  // Mongo database names may not contain '-'; DNS labels may. Map it to '_' (labels have no '_').
  return `parley_${assertTenantId(tenant).replaceAll('-', '_')}`;
}

export function redisKeyPrefix(tenant: string): string {
  return `t:${assertTenantId(tenant)}:`;
}

export function redisKey(tenant: string, ...parts: string[]): string {
  return `${redisKeyPrefix(tenant)}${parts.join(':')}`;
}

export function redisAclUser(tenant: string): string {
  return `tenant-${assertTenantId(tenant)}`;
}

export function kafkaTopicPrefix(tenant: string): string {
  return `parley.${assertTenantId(tenant)}.`;
}

export function kafkaTopic(tenant: string, stream: string): string {
  if (!/^[a-z0-9-]+$/.test(stream)) throw new Error(`Invalid Kafka stream name ${JSON.stringify(stream)}`);
  return `${kafkaTopicPrefix(tenant)}${stream}`;
}

export function kafkaPrincipal(tenant: string): string {
  return `tenant-${assertTenantId(tenant)}`;
}

export function s3BucketName(tenant: string): string {
  return `parley-${assertTenantId(tenant)}`;
}

export function searchIndexName(tenant: string): string {
  return `parley-${assertTenantId(tenant)}-messages`;
}

/**
 * The streams every tenant has a topic for, and who writes each. Every stream but `app` has Parley
 * services as its only writers and readers, and those readers act on what they read (append it
 * to the audit chain, erase a person, mail a link), so only platform credentials may write them:
 * - `messages`, `members`: message and membership changes (the messaging service's outbox).
 * - `keys`: key lifecycle events (the keyring's outbox, in the crypto service and the operator).
 * - `audit`: audit records any service sends for the compliance service to append.
 * - `lifecycle`: tenant lifecycle events (the operator's outbox).
 * - `gdpr`: data-subject requests and their answers (compliance and the participating services).
 * - `notifications`: what a notifier is asked to write to a person (sign-up links,
 *   invitations), its secrets sealed by the tenant's key.
 * - `app`: the tenant's own workloads' stream (its integrations and bots talk to each other here);
 *   no Parley service reads it, so nothing Parley does trusts it. The only stream a tenant's own
 *   Kafka credential may write (see operator/README.md, "What a tenant's credentials may do").
 */
export const TENANT_STREAMS = [
  'messages',
  'members',
  'keys',
  'audit',
  'lifecycle',
  'gdpr',
  'notifications',
  'app',
] as const;
export type TenantStream = (typeof TENANT_STREAMS)[number];

/**
 * The Redis keys and channels of the tenant's own workloads, `t:<tenant>:app:`. Parley's services
 * keep theirs elsewhere under `t:<tenant>:` (auth's sessions, lockouts and revocation set under
 * `t:<tenant>:auth:`, the runtime record at `t:<tenant>:runtime`), which the tenant's ACL user
 * must not write.
 */
export function redisWorkloadKeyPrefix(tenant: string): string {
  return `${redisKeyPrefix(tenant)}app:`;
}
