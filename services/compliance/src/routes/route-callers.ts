/**
 * Which Parley service may call which compliance route (kit's per-route caller scopes: a valid
 * credential of any other service is refused 403, and the OpenAPI document lists these callers
 * as the roles of each operation's `serviceToken` requirement). Closed by default: a route
 * missing here cannot be declared.
 *
 * - The **public API** (the gateway) carries what a tenant's people ask for: compliance officers
 *   reading and proving the audit log, placing holds, running retention; a person's own GDPR
 *   requests, consents, archives and receipts.
 * - **Audit writers** record what happens in them (compliance-client's AuditRecorder).
 * - **GDPR participants** hold personal data: they register, read the job they are asked to do,
 *   report their own export part and register only themselves (the path names the caller), and
 *   record rectifications they made (the body's `participant` names the caller).
 * - The **operator** reads the participant registry (what a tenant's erasure will reach).
 *
 * Nobody but compliance itself signs checkpoints on a schedule, and nobody but the public API
 * asks it to sign one now.
 */
import type { RouteCallers } from '@parley/kit';

const PUBLIC_API = ['gateway'] as const;
const AUDIT_WRITERS = ['gateway', 'auth', 'messaging', 'socket', 'media', 'search', 'notifier'] as const;
const GDPR_PARTICIPANTS = ['auth', 'messaging', 'media', 'search', 'notifier'] as const;

const only = (...groups: (readonly string[])[]): RouteCallers => ({ callers: [...new Set(groups.flat())] });
const T = '/v1/tenants/:tenant';

export const COMPLIANCE_ROUTE_CALLERS: Readonly<Record<string, RouteCallers>> = {
  [`POST ${T}/audit/records`]: only(AUDIT_WRITERS),
  [`GET ${T}/audit/records`]: only(PUBLIC_API),
  [`GET ${T}/audit/records/:sequence`]: only(PUBLIC_API),
  [`GET ${T}/audit/records/:sequence/proof`]: only(PUBLIC_API),
  [`GET ${T}/audit/checkpoints`]: only(PUBLIC_API),
  [`GET ${T}/audit/checkpoints/latest`]: only(PUBLIC_API),
  [`POST ${T}/audit/checkpoints`]: only(PUBLIC_API),
  [`GET ${T}/audit/published-checkpoints`]: only(PUBLIC_API),
  [`GET ${T}/audit/consistency`]: only(PUBLIC_API),
  [`GET ${T}/audit/proofs`]: only(PUBLIC_API),
  [`GET ${T}/audit/verify`]: only(PUBLIC_API),

  [`POST ${T}/gdpr/exports`]: only(PUBLIC_API),
  [`POST ${T}/gdpr/erasures`]: only(PUBLIC_API),
  [`POST ${T}/gdpr/rectifications`]: { callers: GDPR_PARTICIPANTS, bodyField: 'participant' },
  [`GET ${T}/gdpr/jobs`]: only(PUBLIC_API),
  [`GET ${T}/gdpr/jobs/:jobId`]: only(PUBLIC_API, GDPR_PARTICIPANTS),
  [`PUT ${T}/gdpr/jobs/:jobId/export-parts/:participant`]: {
    callers: GDPR_PARTICIPANTS,
    param: 'participant',
  },
  [`GET ${T}/gdpr/jobs/:jobId/archive`]: only(PUBLIC_API),
  [`GET ${T}/gdpr/jobs/:jobId/receipt`]: only(PUBLIC_API),
  [`POST ${T}/gdpr/consents`]: only(PUBLIC_API),
  [`GET ${T}/gdpr/consents/:userId`]: only(PUBLIC_API),

  [`POST ${T}/legal-holds`]: only(PUBLIC_API),
  [`GET ${T}/legal-holds`]: only(PUBLIC_API),
  [`POST ${T}/legal-holds/:holdId/lift`]: only(PUBLIC_API),

  [`PUT ${T}/retention/policies/:name`]: only(PUBLIC_API),
  [`GET ${T}/retention/policies`]: only(PUBLIC_API),
  [`POST ${T}/retention/runs`]: only(PUBLIC_API),
  [`GET ${T}/retention/runs`]: only(PUBLIC_API),

  'PUT /v1/gdpr/participants/:name': { callers: GDPR_PARTICIPANTS, param: 'name' },
  'GET /v1/gdpr/participants': only(['operator'], GDPR_PARTICIPANTS),
};
