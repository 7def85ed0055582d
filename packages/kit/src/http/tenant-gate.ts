/**
 * The tenant gate: whether a tenant may be served, from the runtime record the operator publishes
 * in Redis (`t:<tenant>:runtime`, packages/tenancy's tenant-runtime.ts). By default only a Ready
 * tenant is served: a suspended one is refused with 403 `tenant-suspended`, one still
 * provisioning with 503 `tenant-provisioning` (it will be served shortly), and one without a
 * record (never provisioned, deleted) with 404 `unknown-tenant`, so no caller conjures up a
 * tenant's stores by naming it. A service whose duties differ passes its own policy and documents
 * it (compliance serves a suspended tenant but for audit reads: services/compliance/README.md).
 *
 * Answers are remembered for a few seconds (TenantRuntimeStatusCache), so a request costs no
 * Redis round trip while a suspension still takes effect within that time.
 *
 * Registered once per app (createServiceApp's `tenantGate` option, or `app.register(tenantGate,
 * { gate })`): `request.params.tenant` is checked by `onRequest`/`preHandler: app.servedTenant`
 * (or for a whole scope with `scope.addHook('preHandler', scope.servedTenant)`); a tenant known
 * only later (from a verified token) is checked with `await app.tenantGate.assertServed(tenant)`.
 */
import { type RuntimeRecordSource, TenantRuntimeStatusCache, type TenantStatus } from '@parley/tenancy';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problem.ts';
import { bindTenantToRequestLog } from './tenant-context.ts';

/** What the gate knows of the request, for a policy that treats some requests differently. */
export interface GatedRequest {
  tenant: string;
  method?: string;
  /** The route's pattern (`/v1/tenants/:tenant/audit/records`), not the URL. */
  routeUrl?: string;
}

/** The refusal for a tenant in this status, or undefined to serve it. `null`: no runtime record. */
export type TenantGatePolicy = (
  status: TenantStatus | null,
  request: GatedRequest,
) => ProblemError | undefined;

export const tenantRefusals = {
  suspended: () =>
    new ProblemError(403, 'tenant-suspended', 'Tenant suspended', 'This organisation is suspended'),
  provisioning: () =>
    new ProblemError(
      503,
      'tenant-provisioning',
      'Tenant not ready yet',
      'This organisation is still being set up; try again shortly',
    ),
  unknown: (detail = 'No such organisation') =>
    new ProblemError(404, 'unknown-tenant', 'Unknown tenant', detail),
};

/** Parley's default: only Ready is served; Suspended 403, Provisioning 503, anything else 404. */
export const serveReadyTenants: TenantGatePolicy = (status) => {
  if (status === 'Ready') return undefined;
  if (status === 'Suspended') return tenantRefusals.suspended();
  if (status === 'Provisioning') return tenantRefusals.provisioning();
  return tenantRefusals.unknown();
};

export interface TenantGateOptions {
  /** How long a status is remembered; 0 reads Redis on every request (tests that flip it). */
  cacheMs?: number;
  policy?: TenantGatePolicy;
}

export class TenantGate {
  readonly #statuses: TenantRuntimeStatusCache;
  readonly #policy: TenantGatePolicy;

  constructor(source: RuntimeRecordSource, options: TenantGateOptions = {}) {
    this.#statuses = new TenantRuntimeStatusCache(source, options.cacheMs ?? 3_000);
    this.#policy = options.policy ?? serveReadyTenants;
  }

  /** Throws the policy's problem for a tenant that may not be served. */
  async assertServed(tenant: string, request: Omit<GatedRequest, 'tenant'> = {}): Promise<void> {
    const refusal = this.#policy(await this.#statuses.status(tenant), { tenant, ...request });
    if (refusal) throw refusal;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's tenant gate (registered by createServiceApp's `tenantGate` option). */
    tenantGate: TenantGate;
    /** A hook that gates `request.params.tenant` and ties the request's log lines to it. */
    servedTenant: preHandlerAsyncHookHandler;
  }
}

const plugin: FastifyPluginCallback<{ gate: TenantGate }> = (app: FastifyInstance, options, done) => {
  const gate = options.gate;
  app.decorate('tenantGate', gate);
  app.decorate('servedTenant', async function servedTenant(request: FastifyRequest) {
    const tenant = (request.params as { tenant?: unknown } | undefined)?.tenant;
    if (typeof tenant !== 'string') throw tenantRefusals.unknown();
    await gate.assertServed(tenant, { method: request.method, routeUrl: request.routeOptions.url });
    bindTenantToRequestLog(request, tenant);
  } as preHandlerAsyncHookHandler);
  done();
};

/** The tenant gate as a Fastify plugin (fastify-plugin: decorates the app it is registered on). */
export const tenantGate = fp(plugin, { name: 'parley-tenant-gate', fastify: '5.x' });
