/**
 * Rate limits through the gateway, over the real Redis: a user past its limit gets 429 with
 * Retry-After and the IETF draft's RateLimit headers, and is served again in the next window;
 * two gateways share one count (reconciled in the background); unauthenticated routes are
 * limited per source address.
 */

import { randomUUID } from 'node:crypto';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { type GatewayFixture, openGatewayFixture } from '@parley/gateway-service/testing';
import { createParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack } from './gateway-stack.ts';

const WINDOW = 3;
const limits = {
  RATE_LIMIT_WINDOW_SECONDS: WINDOW,
  RATE_LIMIT_USER_REQUESTS: 6,
  RATE_LIMIT_ADDRESS_REQUESTS: 4,
  RATE_LIMIT_SYNC_MS: 50,
};
// Both gateways count under one prefix, as two replicas of one deployment do.
const SHARED_PREFIX = `parley:gateway:ratelimit:${randomUUID()}:`;
let stack: GatewayStack;
let second: GatewayFixture;

beforeAll(async () => {
  stack = await openGatewayStack({ ...limits, RATE_LIMIT_KEY_PREFIX: SHARED_PREFIX });
  second = await openGatewayFixture({
    AUTH_URL: stack.authUrl,
    COMPLIANCE_URL: stack.complianceUrl,
    AUTH_ISSUER: stack.auth.policy.issuer,
    AUTH_AUDIENCE: stack.auth.policy.audience,
    SERVICE_TOKEN,
    ...limits,
    RATE_LIMIT_KEY_PREFIX: SHARED_PREFIX,
  });
});
afterAll(async () => {
  await second?.close();
  await stack?.close();
});

/** Waits for the start of a window, so a burst is not split across two. */
async function startOfWindow(): Promise<void> {
  const ms = WINDOW * 1000;
  const left = ms - (Date.now() % ms);
  await new Promise((resolve) => setTimeout(resolve, left + 20));
}

describe('rate limits', () => {
  it('answers 429 with Retry-After and RateLimit headers past the limit, and recovers', async () => {
    // Signing up and in is limited per address: made before the window the test counts.
    const alice = await stack.user(stack.tenantA);
    await startOfWindow();
    const statuses: number[] = [];
    let refused: Response | undefined;
    let problem: unknown;
    for (let i = 0; i < 8; i++) {
      const answer = await alice.client.GET('/api/v1/me');
      statuses.push(answer.response.status);
      if (i === 0) {
        expect(answer.response.headers.get('ratelimit-policy')).toContain(`"user";q=6;w=${WINDOW}`);
        expect(answer.response.headers.get('ratelimit')).toMatch(/^"user";r=5;t=\d+$/);
      }
      if (answer.response.status === 429) {
        refused = answer.response;
        problem = answer.error;
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW);
    expect(refused?.headers.get('ratelimit')).toMatch(/^"user";r=0;t=\d+$/);
    expect(problem).toMatchObject({ type: 'https://parley.dev/problems/too-many-requests', status: 429 });

    await startOfWindow();
    expect((await alice.client.GET('/api/v1/me')).response.status).toBe(200);
  });

  it('shares one count between two gateways', async () => {
    const bob = await stack.user(stack.tenantA);
    const other = createParleyClient({ baseUrl: second.url, accessToken: bob.accessToken });
    await startOfWindow();
    for (let i = 0; i < 4; i++) expect((await bob.client.GET('/api/v1/me')).response.status).toBe(200);
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
    // The first gateway reports its 4 within a sync. The second admits its first request of a key
    // it has not seen before learning the shared count (the price of no round trip), then knows:
    // 5 taken, one left, not the 5 it would have alone.
    await pause();
    const statuses = [(await other.GET('/api/v1/me')).response.status];
    await pause();
    for (let i = 0; i < 3; i++) statuses.push((await other.GET('/api/v1/me')).response.status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    // And the first gateway learns the second's count too.
    await pause();
    expect((await bob.client.GET('/api/v1/me')).response.status).toBe(429);
  });

  it('limits routes without a token per source address', async () => {
    await startOfWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await stack.anonymous.POST('/api/v1/tenants/{tenant}/token', {
        params: { path: { tenant: stack.tenantA } },
        body: { refreshToken: 'not-a-refresh-token' },
      });
      statuses.push(answer.response.status);
    }
    expect(statuses.slice(0, 4).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(4)).toEqual([429, 429]);
  });
});
