/**
 * Which tenants the compliance service serves: its policy for kit's tenant gate, which reads the
 * runtime record the operator publishes in Redis (`t:<tenant>:runtime`; its status is
 * packages/tenancy's TenantStatus). A tenant that is neither Ready nor Suspended (never
 * provisioned, still provisioning, or deleted) is refused with 404, so no internal caller can
 * conjure up a tenant's database by naming it.
 *
 * A *suspended* tenant keeps its legal duties: audit records keep arriving, and legal holds, GDPR
 * requests and retention runs go on, because a suspension does not lift them. What a suspension
 * does stop is the organisation's own people reading its audit log (checkpoints, proofs and
 * verification included): those requests answer 403 `tenant-suspended`, as auth does for sign-in.
 * Answers are remembered for a few seconds (one Redis round trip per tenant, not per request).
 */
import { TenantGate, type TenantGatePolicy, tenantRefusals } from '@parley/kit';
import type { RuntimeRecordSource } from '@parley/tenancy';

/** `duty`: work a suspension does not stop. `read`: the tenant's people reading its audit log. */
export type ComplianceRequestKind = 'duty' | 'read';

/** GET under /audit is a read of the audit log; every other tenant route is a legal duty. */
export function requestKind(method: string, routeUrl: string | undefined): ComplianceRequestKind {
  return method === 'GET' && (routeUrl ?? '').includes('/audit/') ? 'read' : 'duty';
}

export const complianceTenantPolicy: TenantGatePolicy = (status, request) => {
  if (status === 'Suspended' && requestKind(request.method ?? '', request.routeUrl) === 'read')
    return tenantRefusals.suspended();
  if (status !== 'Ready' && status !== 'Suspended')
    return tenantRefusals.unknown(`No provisioned organisation ${request.tenant}`);
  return undefined;
};

/** The gate with compliance's policy; `cacheMs` 0 in tests that flip a tenant's status. */
export function complianceTenantGate(redis: RuntimeRecordSource, cacheMs = 3_000): TenantGate {
  return new TenantGate(redis, { cacheMs, policy: complianceTenantPolicy });
}
