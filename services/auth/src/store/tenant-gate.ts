/**
 * Whether a tenant may be served, from the runtime record the operator publishes in Redis
 * (`t:<tenant>:runtime`, field `status`: Active or Suspended; see the operator's RuntimeStep).
 * A suspended tenant is refused with 403, a tenant without a record (never provisioned, or
 * deleted) with 404. Answers are remembered for a few seconds, so a suspension takes effect
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
    if (status !== 'Active') {
      throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'No such organisation');
    }
  }
}
