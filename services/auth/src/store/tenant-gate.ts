/**
 * Whether a tenant may be served, from the runtime record the operator publishes in Redis
 * (`t:<tenant>:runtime`, its status one of packages/tenancy's TENANT_STATUSES, written by the
 * operator's RuntimeStep). Only a Ready tenant is served. A suspended tenant is refused with 403,
 * one still provisioning with 503 (it will be served shortly), a tenant without a record (never
 * provisioned, or deleted) with 404. Answers are remembered for a few seconds, so a suspension takes effect
 * within that time without a Redis round trip per request.
 */
import { ProblemError } from '@parley/kit';
import { TenantRuntimeStatusCache } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export class TenantGate {
  readonly #statuses: TenantRuntimeStatusCache;

  constructor(redis: Redis, cacheMs = 3_000) {
    this.#statuses = new TenantRuntimeStatusCache(redis, cacheMs);
  }

  async assertUsable(tenant: string): Promise<void> {
    const status = await this.#statuses.status(tenant);
    if (status === 'Suspended') {
      throw new ProblemError(403, 'tenant-suspended', 'Tenant suspended', 'This organisation is suspended');
    }
    if (status === 'Provisioning') {
      throw new ProblemError(
        503,
        'tenant-provisioning',
        'Tenant not ready yet',
        'This organisation is still being set up; try again shortly',
      );
    }
    if (status !== 'Ready') {
      throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'No such organisation');
    }
  }
}
