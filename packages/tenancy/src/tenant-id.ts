/**
 * A tenant id is a DNS label (RFC 1123): it names Kubernetes objects, databases, Kafka topics and
 * S3 buckets alike, so it must be valid in all of them. "platform" is reserved for Parley's own
 * registry database.
 */
import { type Static, Type } from 'typebox';

export const TENANT_ID_PATTERN = '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$';
const tenantIdRegex = new RegExp(TENANT_ID_PATTERN);
const reserved = new Set(['platform', 'admin', 'local', 'config']);

export const TenantIdSchema = Type.String({
  pattern: TENANT_ID_PATTERN,
  minLength: 1,
  maxLength: 32,
  description: 'Tenant id: a lower-case DNS label of at most 32 characters',
});
export type TenantId = Static<typeof TenantIdSchema>;

export class InvalidTenantIdError extends Error {
  constructor(value: unknown) {
    super(`Invalid tenant id ${JSON.stringify(value)}: must be a lower-case DNS label of 1-32 characters`);
    this.name = 'InvalidTenantIdError';
  }
}

export function isTenantId(value: unknown): value is TenantId {
  return typeof value === 'string' && tenantIdRegex.test(value) && !reserved.has(value);
}

export function assertTenantId(value: unknown): TenantId {
  if (!isTenantId(value)) throw new InvalidTenantIdError(value);
  return value;
}
