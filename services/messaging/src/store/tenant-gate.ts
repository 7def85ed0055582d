/**
 * Whether a tenant may be served, from the runtime record the operator publishes in Redis
 * (`t:<tenant>:runtime`). Only a Ready tenant is served: suspended 403, still provisioning 503,
 * unknown 404. Answers are cached for a few seconds (no Redis round trip per request).
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
    if (status === 'Ready') return;
    if (status === 'Suspended')
      throw new ProblemError(403, 'tenant-suspended', 'Tenant suspended', 'This organisation is suspended');
    if (status === 'Provisioning')
      throw new ProblemError(
        503,
        'tenant-provisioning',
        'Tenant not ready yet',
        'This organisation is still being set up',
      );
    throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'No such organisation');
  }
}
