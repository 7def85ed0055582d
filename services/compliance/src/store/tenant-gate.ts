/**
 * Which tenants the compliance service serves, from the runtime record the operator publishes in
 * Redis (`t:<tenant>:runtime`, field `status`). A tenant without a record (never provisioned, or
 * deleted) is refused with 404, so no internal caller can conjure up a tenant's database by
 * naming it. A *suspended* tenant is still served, deliberately: audit records keep arriving,
 * and legal holds, GDPR requests and retention are legal duties that a suspension does not lift.
 * Answers are remembered for a few seconds (one Redis round trip per tenant, not per request).
 */
import { ProblemError } from '@parley/kit';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export const TENANT_RUNTIME_KEY = 'runtime';
const SERVED = new Set(['Active', 'Suspended']);

export class TenantGate {
  readonly #redis: Redis;
  readonly #cacheMs: number;
  readonly #known = new Map<string, { status: string | null; at: number }>();

  constructor(redis: Redis, cacheMs = 3_000) {
    this.#redis = redis;
    this.#cacheMs = cacheMs;
  }

  async assertServed(tenant: string): Promise<void> {
    const now = Date.now();
    let entry = this.#known.get(tenant);
    if (!entry || now - entry.at > this.#cacheMs) {
      entry = { status: await this.#redis.hget(redisKey(tenant, TENANT_RUNTIME_KEY), 'status'), at: now };
      this.#known.set(tenant, entry);
    }
    if (!SERVED.has(entry.status ?? '')) {
      throw new ProblemError(
        404,
        'unknown-tenant',
        'Unknown tenant',
        `No provisioned organisation ${tenant}`,
      );
    }
  }
}
