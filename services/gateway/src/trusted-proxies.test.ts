/**
 * TRUSTED_PROXIES: the client's address (the per-address rate limit's key, the audit record's ip)
 * comes from X-Forwarded-For only when the peer is a trusted proxy. Performed against a gateway
 * over the real Redis: an untrusted peer that writes a new X-Forwarded-For on every request is
 * still one address and is limited; clients behind a trusted proxy are counted apart; a setting
 * that is not an address or CIDR range refuses to start.
 */
import { randomBytes } from 'node:crypto';
import { tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidTrustedProxyError, parseTrustedProxies } from './domain/trusted-proxies.ts';
import { type GatewayFixture, openGatewayFixture } from './testing/gateway-fixture.ts';

const LIMIT = 3;
const tenant = `tp${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let gateway: GatewayFixture;

beforeAll(async () => {
  gateway = await openGatewayFixture({
    // Nothing listens there: the refresh answers 503, after the rate limit has counted it.
    AUTH_URL: 'http://127.0.0.1:9',
    TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8',
    RATE_LIMIT_ADDRESS_REQUESTS: LIMIT,
    RATE_LIMIT_WINDOW_SECONDS: 3600,
    RATE_LIMIT_SYNC_MS: 50,
  });
  await writeTenantRuntimeRecord(gateway.redis.client, tenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
    generation: 1,
  });
});
afterAll(async () => {
  await gateway?.redis.client.del(tenantRuntimeKey(tenant)).catch(() => {});
  await gateway?.close();
});

const refresh = (peer: string, forwardedFor?: string) =>
  gateway.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenant}/token`,
    remoteAddress: peer,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    payload: { refreshToken: 'not-a-refresh-token' },
  });

describe('the client address behind proxies', () => {
  it('ignores X-Forwarded-For from an untrusted peer: spoofed addresses share its one limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++)
      statuses.push((await refresh('203.0.113.7', `198.51.100.${i + 1}`)).statusCode);
    expect(statuses.slice(0, LIMIT)).not.toContain(429);
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
  });

  it('takes the client from X-Forwarded-For behind a trusted proxy, each client counted apart', async () => {
    for (let client = 1; client <= LIMIT + 1; client++) {
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT; i++)
        statuses.push((await refresh('10.1.2.3', `192.0.2.${client}`)).statusCode);
      expect(statuses).not.toContain(429);
    }
    // Each client's own count is used up: its next request is refused.
    expect((await refresh('10.1.2.3', '192.0.2.1')).statusCode).toBe(429);
    // A client cannot pass itself off as another by prepending to the header: the rightmost
    // untrusted hop (what the trusted proxy saw) is the client.
    expect((await refresh('10.1.2.3', '192.0.2.99, 192.0.2.1')).statusCode).toBe(429);
  });

  it('refuses a setting that is not addresses or CIDR ranges', () => {
    expect(parseTrustedProxies('')).toEqual([]);
    expect(parseTrustedProxies('10.0.0.0/8,127.0.0.1 , ::1/128')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1/128',
    ]);
    for (const bad of ['loopback', '10.0.0.0/33', '10.0.0/8', '::1/129', '1.2.3.4/8/1'])
      expect(() => parseTrustedProxies(bad)).toThrow(InvalidTrustedProxyError);
  });
});
