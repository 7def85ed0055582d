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
 * The streams every tenant has a topic for. `notifications`: what a notifier is asked to write to
 * a person (sign-up links, invitations), its secrets sealed by the tenant's key.
 */
export const TENANT_STREAMS = [
  'messages',
  'members',
  'keys',
  'audit',
  'lifecycle',
  'gdpr',
  'notifications',
] as const;
export type TenantStream = (typeof TENANT_STREAMS)[number];
