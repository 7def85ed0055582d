/**
 * One public route that a service behind the gateway serves, declared as data: its schemas (the
 * gateway validates every params, query and body before anything leaves it, and the schemas are
 * the OpenAPI document and so the SDK), who may call it, and where it goes.
 *
 * Who may call:
 * - `tenant-path` / `tenant-host`: no token; the tenant is named by `/tenants/:tenant/...` or by
 *   the deployment's host mapping (TENANT_HOSTS). Sign-in and sign-up only.
 * - `user`: a bearer access token verified here, locally (auth-client: cached keys and the pushed
 *   revocation set, no call per request); the tenant is the token's and nothing else.
 * - a list of roles: a user holding at least one of them (checked here, and again by the service
 *   that owns the data where it knows roles).
 * - `bot`: a bot token (`pbt_<tenant>_...`, services/integrations): the gateway only reads the
 *   tenant out of it (to gate it and to know where to ask) and hands the token on in
 *   BOT_TOKEN_HEADER; the integrations service resolves it in that tenant's database, so a token
 *   rewritten to name another tenant is unknown there.
 * Every tenant, from whichever source, passes the tenant gate: suspended 403, unknown 404.
 */
import { authOf, requireAccessToken, type TokenVerifier } from '@parley/auth-client';
import {
  ACTING_ROLES_HEADER,
  ACTING_USER_HEADER,
  type AccessTokenClaims,
  BOT_TOKEN_HEADER,
  BOT_TOKEN_PREFIX,
} from '@parley/contracts';
import { bindTenantToRequestLog, ProblemError, problems, type ServiceApp, securedBy } from '@parley/kit';
import type { ServiceHttp } from '@parley/service-http';
import { isTenantId, type TenantRuntimeRecord } from '@parley/tenancy';
import type { FastifyReply, FastifyRequest, FastifySchema, onRequestHookHandler } from 'fastify';
import type { HostTenants } from '../domain/host-tenants.ts';
import type { TenantGate } from '../domain/tenant-gate.ts';
import { callUpstream, sendAnswer } from '../upstream/upstream-call.ts';

export type Role = AccessTokenClaims['roles'][number];
export type Access = 'tenant-path' | 'tenant-host' | 'user' | 'bot' | readonly Role[];

export interface RouteInput {
  tenant: string;
  /** The verified token's claims (routes that take one). */
  claims: AccessTokenClaims | undefined;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface UpstreamTarget {
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  /** Pass the caller's bearer token on (the service verifies it again). */
  bearer?: boolean;
  /** Name the verified user in messaging's acting-user headers (services that take them). */
  acting?: boolean;
  /** Further headers for the service (an incoming webhook's secret, out of its URL). */
  headers?: Record<string, string>;
}

export interface ProxyRouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below /api/v1, e.g. `/me/sessions/:sessionId`. */
  url: string;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  schema: Pick<FastifySchema, 'params' | 'querystring' | 'headers' | 'body' | 'response'>;
  access: Access;
  /** Request headers handed on to the service as the client sent them (e.g. If-Match). */
  forwardHeaders?: readonly string[];
  upstream: ServiceHttp;
  target: (input: RouteInput) => UpstreamTarget;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant this request acts in, once a guard established it. */
    tenant?: string;
    /** Its runtime record (status, plan quotas), as the tenant gate read it. */
    tenantRecord?: TenantRuntimeRecord;
    /** A bot route's token, as presented (checked by the integrations service, not here). */
    botToken?: string;
  }
}

export const API_PREFIX = '/api/v1';

export interface ProxyContext {
  verifier: TokenVerifier;
  tenantGate: TenantGate;
  hostTenants: HostTenants;
  /** Hooks that run once the caller is known (rate limits), in order. */
  afterIdentified?: onRequestHookHandler[];
}

/** The guard hooks of an access kind: identify the tenant (and user), gate it, check roles. */
export function guardsFor(access: Access, context: ProxyContext): onRequestHookHandler[] {
  const after = context.afterIdentified ?? [];
  if (access === 'tenant-path' || access === 'tenant-host') {
    const identify: onRequestHookHandler = async (request) => {
      const tenant =
        access === 'tenant-path'
          ? (request.params as { tenant?: string }).tenant
          : context.hostTenants.tenantOf(request.headers.host);
      if (!tenant) {
        throw new ProblemError(404, 'unknown-tenant', 'Unknown tenant', 'This host names no organisation');
      }
      // The path is not validated yet (this runs before the body is even read).
      if (!isTenantId(tenant)) throw problems.badRequest('The path does not name a tenant id');
      request.tenantRecord = await context.tenantGate.assertServed(tenant);
      request.tenant = tenant;
      bindTenantToRequestLog(request, tenant);
    };
    return [identify, ...after];
  }
  if (access === 'bot') {
    const identify = securedBy('botToken', async (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
      const tenant = token.startsWith(BOT_TOKEN_PREFIX)
        ? token.slice(BOT_TOKEN_PREFIX.length).split('_', 1)[0]
        : undefined;
      if (!tenant || !isTenantId(tenant) || token.length > 200)
        throw problems.unauthorized('A bot token (Authorization: Bearer pbt_...) is required');
      request.tenantRecord = await context.tenantGate.assertServed(tenant);
      request.tenant = tenant;
      request.botToken = token;
      bindTenantToRequestLog(request, tenant);
    });
    return [identify, ...after];
  }
  const verify = securedBy('bearer', requireAccessToken(context.verifier));
  const roles = access === 'user' ? undefined : access;
  const gate: onRequestHookHandler = async (request) => {
    const claims = authOf(request);
    request.tenant = claims.tid;
    bindTenantToRequestLog(request, claims.tid);
    request.tenantRecord = await context.tenantGate.assertServed(claims.tid);
    if (roles && !claims.roles.some((role) => roles.includes(role))) {
      throw problems.forbidden(`This needs one of the roles: ${roles.join(', ')}`);
    }
  };
  return [verify, gate, ...after];
}

function forwarded(request: FastifyRequest, names: readonly string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names ?? []) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

export function registerProxyRoute(
  app: ServiceApp,
  context: ProxyContext,
  route: ProxyRouteDefinition,
): void {
  app.route({
    method: route.method,
    url: `${API_PREFIX}${route.url}`,
    onRequest: guardsFor(route.access, context),
    schema: {
      operationId: route.operationId,
      tags: route.tags,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...route.schema,
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const target = route.target({
        tenant: request.tenant as string,
        claims: request.auth,
        params: (request.params ?? {}) as Record<string, string>,
        query: (request.query ?? {}) as Record<string, unknown>,
        body: request.body,
      });
      const answer = await callUpstream(route.upstream, request, {
        method: route.method,
        path: target.path,
        ...(target.query ? { query: target.query } : {}),
        ...(target.body !== undefined ? { body: target.body } : {}),
        headers: {
          ...(target.bearer ? { authorization: request.headers.authorization } : {}),
          ...(target.acting && request.auth
            ? { [ACTING_USER_HEADER]: request.auth.sub, [ACTING_ROLES_HEADER]: request.auth.roles.join(',') }
            : {}),
          ...(request.botToken ? { [BOT_TOKEN_HEADER]: request.botToken } : {}),
          ...forwarded(request, route.forwardHeaders),
          ...target.headers,
        },
      });
      return sendAnswer(reply, answer);
    },
  });
}
