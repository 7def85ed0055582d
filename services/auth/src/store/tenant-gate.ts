/**
 * Whether a tenant may be served, from the runtime record the operator publishes in Redis
 * (`t:<tenant>:runtime`, field `status`: Active or Suspended; see the operator's RuntimeStep).
 * A suspended tenant is refused with 403, a tenant without a record (never provisioned, or
 * deleted) with 404. Answers are remembered for a few seconds, so a suspension takes effect
 * within that time without a Redis round trip per request.
 */
import { ProblemError } from '@parley/kit';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export const TENANT_RUNTIME_KEY = 'runtime';

export class TenantGate {
  readonly #redis: Redis;
  readonly #cacheMs: number;
  readonly #known = new Map<string, { status: string | null; at: number }>();

  constructor(redis: Redis, cacheMs = 3_000) {
    this.#redis = redis;
    this.#cacheMs = cacheMs;
  }

  async assertUsable(tenant: string): Promise<void> {
    const now = Date.now();
    let entry = this.#known.get(tenant);
    if (!entry || now - entry.at > this.#cacheMs) {
      entry = { status: await this.#redis.hget(redisKey(tenant, TENANT_RUNTIME_KEY), 'status'), at: now };
      this.#known.set(tenant, entry);
    }
    if (entry.status === 'Suspended') {
      throw new ProblemError(403, 'tenant-suspended', 'Tenant suspended', 'This organisation is suspended');
    }
    if (entry.status !== 'Active') {
      throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'No such organisation');
    }
  }
}
