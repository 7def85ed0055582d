// The revocation set against the real Redis: pushed revocations, the resync after a reconnect
// (a revocation published while disconnected is still learnt), and tenant separation.
import { randomBytes } from 'node:crypto';
import {
  REVOKED_SESSIONS_KEY,
  SESSION_REVOCATION_CHANNEL,
  type SessionRevocationMessage,
} from '@parley/contracts';
import { connectRedis, loadConfig, type RedisConnection, redisSettings, Type } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { redisKey } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationSet } from './revocation-set.ts';

let redis: RedisConnection;
const tenant = `rv${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const other = `${tenant}x`;

/** What the auth service does on a revocation (store/session-cache.ts), per the contract. */
async function revoke(t: string, sessionId: string): Promise<void> {
  const message: SessionRevocationMessage = {
    tenant: t,
    sessionId,
    userId: 'u1',
    reason: 'test',
    relevantUntil: Date.now() + 60_000,
  };
  await redis.client.zadd(redisKey(t, REVOKED_SESSIONS_KEY), message.relevantUntil, sessionId);
  await redis.client.publish(redisKey(t, SESSION_REVOCATION_CHANNEL), JSON.stringify(message));
}

async function eventually(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  const config = loadConfig(Type.Object({ ...redisSettings }));
  redis = await connectRedis(config.REDIS_URL, createSilentLogger());
});
afterAll(async () => {
  await redis.client.del(redisKey(tenant, REVOKED_SESSIONS_KEY), redisKey(other, REVOKED_SESSIONS_KEY));
  await redis.stop();
});

describe('RevocationSet', () => {
  it('loads existing revocations at start and learns new ones by push, per tenant', async () => {
    await revoke(tenant, 'before-start');
    const set = new RevocationSet({ redis: redis.client });
    const pushed: string[] = [];
    set.onRevoked((message) => pushed.push(message.sessionId));
    await set.start();
    try {
      expect(set.isRevoked(tenant, 'before-start')).toBe(true);
      await revoke(tenant, 'after-start');
      await eventually(() => set.isRevoked(tenant, 'after-start'));
      expect(pushed).toContain('after-start');
      expect(set.isRevoked(other, 'after-start')).toBe(false);
    } finally {
      await set.stop();
    }
  });

  it('resyncs after a reconnect, so a revocation published while disconnected is not missed', async () => {
    // A connection name of its own, so only this test's subscriber is dropped (teammates share the server).
    const name = `revocation-test-${randomBytes(4).toString('hex')}`;
    const subscriberConnection = redis.client.duplicate({ connectionName: name });
    const set = new RevocationSet({ redis: subscriberConnection });
    await set.start();
    try {
      const resyncs = set.resyncCount;
      // Drop the set's subscriber connection at the server, then revoke while it is away.
      const clients = (await redis.client.client('LIST')) as string;
      const ids = clients
        .split('\n')
        .filter((line) => line.includes(`name=${name} `) && line.includes('psub=1'))
        .map((line) => /id=(\d+)/.exec(line)?.[1] as string);
      expect(ids).toHaveLength(1);
      for (const id of ids) await redis.client.client('KILL', 'ID', id);
      await revoke(other, 'while-away');
      await eventually(() => set.resyncCount > resyncs, 10_000);
      expect(set.isRevoked(other, 'while-away')).toBe(true);
    } finally {
      await set.stop();
      subscriberConnection.disconnect();
    }
  });
});
