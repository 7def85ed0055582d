/**
 * Whether the gateway serves a tenant, from the runtime record the operator publishes in Redis
 * (packages/tenancy's TenantRuntimeStatusCache: a few seconds of memory, so a request costs no
 * Redis round trip). The gateway is stricter than compliance: a suspended tenant is refused with
 * 403 on every route (its legal duties go on inside, where no client of the tenant reaches);
 * one still provisioning 503; one without a record 404.
 */
import { ProblemError } from '@parley/kit';
import { type RuntimeRecordSource, TenantRuntimeStatusCache } from '@parley/tenancy';

export class TenantGate {
  readonly #statuses: TenantRuntimeStatusCache;

  constructor(source: RuntimeRecordSource, cacheMs = 3_000) {
    this.#statuses = new TenantRuntimeStatusCache(source, cacheMs);
  }

  async assertServed(tenant: string): Promise<void> {
    const status = await this.#statuses.status(tenant);
    if (status === 'Ready') return;
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
    throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'No such organisation');
  }
}
