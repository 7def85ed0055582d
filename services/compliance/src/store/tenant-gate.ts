/**
 * Which tenants the compliance service serves, from the runtime record the operator publishes in
 * Redis (`t:<tenant>:runtime`; its status is packages/tenancy's TenantStatus). A tenant that is
 * neither Ready nor Suspended (never provisioned, still provisioning, or deleted) is refused with
 * 404, so no internal caller can conjure up a tenant's database by naming it.
 *
 * A *suspended* tenant keeps its legal duties: audit records keep arriving, and legal holds, GDPR
 * requests and retention runs go on, because a suspension does not lift them. What a suspension
 * does stop is the organisation's own people reading its audit log (checkpoints, proofs and
 * verification included): those requests answer 403 `tenant-suspended`, as auth does for sign-in.
 * Answers are remembered for a few seconds (one Redis round trip per tenant, not per request).
 */
import { ProblemError } from '@parley/kit';
import { TenantRuntimeStatusCache } from '@parley/tenancy';
import type { Redis } from 'ioredis';

/** `duty`: work a suspension does not stop. `read`: the tenant's people reading its audit log. */
export type ComplianceRequestKind = 'duty' | 'read';

/** GET under /audit is a read of the audit log; every other tenant route is a legal duty. */
export function requestKind(method: string, routeUrl: string | undefined): ComplianceRequestKind {
  return method === 'GET' && (routeUrl ?? '').includes('/audit/') ? 'read' : 'duty';
}

export class TenantGate {
  readonly #statuses: TenantRuntimeStatusCache;

  constructor(redis: Redis, cacheMs = 3_000) {
    this.#statuses = new TenantRuntimeStatusCache(redis, cacheMs);
  }

  async assertServed(tenant: string, kind: ComplianceRequestKind = 'duty'): Promise<void> {
    const status = await this.#statuses.status(tenant);
    if (status === 'Suspended' && kind === 'read') {
      throw new ProblemError(403, 'tenant-suspended', 'Tenant suspended', 'This organisation is suspended');
    }
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
