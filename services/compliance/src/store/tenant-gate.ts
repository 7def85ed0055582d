/**
 * Which tenants the compliance service serves, from the runtime record the operator publishes in
 * Redis (`t:<tenant>:runtime`, field `status`). A tenant without a record (never provisioned, or
 * deleted) is refused with 404, so no internal caller can conjure up a tenant's database by
 * naming it. A *suspended* tenant is still served, deliberately: audit records keep arriving,
 * and legal holds, GDPR requests and retention are legal duties that a suspension does not lift.
 * Answers are remembered for a few seconds (one Redis round trip per tenant, not per request).
 */
import { ProblemError } from '@parley/kit';
import { TenantRuntimeStatusCache } from '@parley/tenancy';
import type { Redis } from 'ioredis';

export class TenantGate {
  readonly #statuses: TenantRuntimeStatusCache;

  constructor(redis: Redis, cacheMs = 3_000) {
    this.#statuses = new TenantRuntimeStatusCache(redis, cacheMs);
  }

  async assertServed(tenant: string): Promise<void> {
    // Ready and Suspended alike: see above. Provisioning and Deleted tenants are not served.
    const status = await this.#statuses.status(tenant);
    if (status !== 'Ready' && status !== 'Suspended') {
      throw new ProblemError(
        404,
        'unknown-tenant',
        'Unknown tenant',
        `No provisioned organisation ${tenant}`,
      );
    }
  }
}
