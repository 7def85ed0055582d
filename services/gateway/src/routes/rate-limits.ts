/**
 * The rate limits of the public API, applied once the caller is known (the guards set the tenant,
 * its runtime record and, for token routes, the user):
 * - `user`: requests per user and window;
 * - `address`: requests per source address and window, on routes without a token (sign-in,
 *   sign-up, refresh), where no user is known yet;
 * - `tenant`: the tenant's plan quota from its runtime record (`messagesPerSecond`), times
 *   `tenantRequestsPerMessage`, for every request in the tenant;
 * - `tenant-messages`: sends (`POST /conversations/:id/messages`) within `messagesPerSecond`.
 * A quota of 0 in the record means none is set: that policy does not apply.
 *
 * Answers carry the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "user";q=600;w=60, "tenant";q=...` and `RateLimit: "user";r=12;t=30` for
 * the policy closest to its limit. A refusal is 429 `too-many-requests` with `Retry-After`.
 */
import { problems } from '@parley/kit';
import type { onRequestHookHandler } from 'fastify';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from '../domain/rate-limiter.ts';

export interface RateLimitSettings {
  windowSeconds: number;
  userRequests: number;
  addressRequests: number;
  tenantRequestsPerMessage: number;
}

const SEND_ROUTE = '/api/v1/conversations/:conversationId/messages';

export function rateLimitHook(limiter: RateLimiter, settings: RateLimitSettings): onRequestHookHandler {
  const windowMs = settings.windowSeconds * 1000;
  const user: RateLimitPolicy = { name: 'user', limit: settings.userRequests, windowMs };
  const address: RateLimitPolicy = { name: 'address', limit: settings.addressRequests, windowMs };
  // One policy object per quota value, so counters and headers agree.
  const tenantPolicies = new Map<string, RateLimitPolicy>();
  const tenantPolicy = (name: string, limit: number) => {
    const id = `${name}:${limit}`;
    let policy = tenantPolicies.get(id);
    if (!policy) {
      policy = { name, limit, windowMs };
      tenantPolicies.set(id, policy);
    }
    return policy;
  };

  return async (request, reply) => {
    const tenant = request.tenant as string;
    const perSecond = request.tenantRecord?.quotas.messagesPerSecond ?? 0;
    // A bot counts as a user of its own (its token), not as the address it calls from.
    const checks: [RateLimitPolicy, string][] = request.auth
      ? [[user, `${tenant}:${request.auth.sub}`]]
      : request.botToken
        ? [[user, `${tenant}:bot:${request.botToken.split('_')[2] ?? ''}`]]
        : [[address, request.ip]];
    if (perSecond > 0) {
      checks.push([
        tenantPolicy('tenant', perSecond * settings.tenantRequestsPerMessage * settings.windowSeconds),
        tenant,
      ]);
      if (request.method === 'POST' && request.routeOptions.url === SEND_ROUTE) {
        checks.push([tenantPolicy('tenant-messages', perSecond * settings.windowSeconds), tenant]);
      }
    }
    const decisions: RateLimitDecision[] = [];
    for (const [policy, key] of checks) {
      const decision = limiter.take(policy, key);
      decisions.push(decision);
      if (!decision.allowed) break;
    }
    reply.header(
      'ratelimit-policy',
      decisions.map((d) => `"${d.policy.name}";q=${d.policy.limit};w=${settings.windowSeconds}`).join(', '),
    );
    const tightest = decisions.reduce((a, b) => (b.remaining < a.remaining || !b.allowed ? b : a));
    reply.header('ratelimit', `"${tightest.policy.name}";r=${tightest.remaining};t=${tightest.resetSeconds}`);
    if (!tightest.allowed) {
      throw problems.tooManyRequests(
        `Too many requests (${tightest.policy.name} limit); try again in ${tightest.resetSeconds} s`,
        tightest.resetSeconds,
      );
    }
  };
}
