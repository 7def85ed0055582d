/**
 * Which requests the gateway audits and what their records say. Every mutating request (POST,
 * PUT, PATCH, DELETE) and every refused one (401, 403, 429; any 4xx of a mutating request) of a
 * known tenant becomes a record: the actor (the token's user, or anonymous), the operation (its
 * OpenAPI operation id), the route (never its ids' values beyond the path params), the status and
 * the request id. The client's address and user agent are personal data: they go as the user's
 * personal fields (sealed under the user's key by the compliance service), and only when a user
 * is known. The answer leaves only once the record is in the journal (onSend awaits it).
 *
 * A refusal before any tenant is established (an invalid token, a host that names no tenant) has
 * no audit log to go to: the tenant a forged token names is not believed. It is logged.
 */
import type { AuditRecordDraft } from '@parley/compliance-client';
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { RequestAudit } from '../domain/request-audit.ts';
import { API_PREFIX } from './proxy-route.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REFUSED = new Set([401, 403, 429]);

// The tenant is the record's own; an incoming webhook's URL secret must never be written down.
const UNRECORDED_PARAMS = new Set(['tenant', 'secret']);

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

export function auditDraft(request: FastifyRequest, reply: FastifyReply): AuditRecordDraft | undefined {
  const status = reply.statusCode;
  const url = request.routeOptions.url;
  const mutating = MUTATING.has(request.method);
  if (!url?.startsWith(API_PREFIX) || !(mutating || REFUSED.has(status))) return undefined;
  const operationId =
    (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId ?? 'request';
  const user = request.auth?.sub;
  const userAgent = request.headers['user-agent'];
  const params = Object.fromEntries(
    Object.entries((request.params ?? {}) as Record<string, unknown>)
      .filter(([name, value]) => !UNRECORDED_PARAMS.has(name) && typeof value === 'string')
      .map(([name, value]) => [name, String(value).slice(0, 200)]),
  );
  return {
    actor: user ? { type: 'user', id: user } : { type: 'anonymous', id: 'anonymous' },
    action: `gateway.api.${kebab(operationId)}`,
    resource: { type: 'route', id: `${request.method} ${url}`.slice(0, 200) },
    outcome: status < 400 ? 'success' : REFUSED.has(status) ? 'denied' : status >= 500 ? 'error' : 'failure',
    metadata: { status, method: request.method, route: url, ...params },
    requestId: request.id,
    ...(user
      ? {
          personal: [
            {
              subject: user,
              fields: {
                ip: request.ip,
                ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, 500) } : {}),
              },
            },
          ],
        }
      : {}),
  };
}

export function auditHook(audit: RequestAudit): onSendHookHandler {
  return async (request, reply, payload) => {
    const tenant = request.tenant;
    const draft = auditDraft(request, reply);
    if (!draft) return payload;
    if (!tenant) {
      request.log.info(
        { status: reply.statusCode, route: request.routeOptions.url },
        'refused before a tenant was known: not audited',
      );
      return payload;
    }
    await audit.record(tenant, draft);
    return payload;
  };
}
