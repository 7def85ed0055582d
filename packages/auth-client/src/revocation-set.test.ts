// The revocation set against the real Redis: pushed revocations, the resync after a reconnect
// (a revocation published while disconnected is still learnt), tenant separation, and what a
// holder of one tenant's channel cannot do with it (another tenant's sessions, far-future
// entries, floods).
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
/** Publishes a message as is on a tenant's channel (what anyone allowed to publish there can send). */
async function publishOn(channelTenant: string, message: Partial<SessionRevocationMessage>): Promise<void> {
  await redis.client.publish(
    redisKey(channelTenant, SESSION_REVOCATION_CHANNEL),
    JSON.stringify({ userId: 'u1', reason: 'test', relevantUntil: Date.now() + 60_000, ...message }),
  );
}

const flooded = `${tenant}f`;
const seeded = `${tenant}s`;

afterAll(async () => {
  await redis.client.del(
    redisKey(tenant, REVOKED_SESSIONS_KEY),
    redisKey(other, REVOKED_SESSIONS_KEY),
    redisKey(seeded, REVOKED_SESSIONS_KEY),
  );
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

describe('RevocationSet under attack', () => {
  it("a revocation published on one tenant's channel cannot revoke another tenant's session", async () => {
    const set = new RevocationSet({ redis: redis.client });
    await set.start();
    try {
      await publishOn(tenant, { tenant: other, sessionId: 'victim' });
      // Published after the forgery on the same connection, so delivered after it.
      await publishOn(tenant, { tenant, sessionId: 'sentinel-1' });
      await eventually(() => set.isRevoked(tenant, 'sentinel-1'));
      expect(set.isRevoked(other, 'victim')).toBe(false);
      expect(set.isRevoked(tenant, 'victim')).toBe(false);
      expect(set.refusedCount('channel-tenant')).toBe(1);
    } finally {
      await set.stop();
    }
  });

  it('a far-future revocation is ignored, pushed or stored', async () => {
    const forever = Date.now() + 10 * 365 * 86_400_000;
    await redis.client.zadd(redisKey(other, REVOKED_SESSIONS_KEY), forever, 'stored-forever');
    const set = new RevocationSet({ redis: redis.client });
    await set.start();
    try {
      expect(set.isRevoked(other, 'stored-forever')).toBe(false);
      await publishOn(tenant, { tenant, sessionId: 'pushed-forever', relevantUntil: forever });
      await publishOn(tenant, { tenant, sessionId: 'sentinel-2' });
      await eventually(() => set.isRevoked(tenant, 'sentinel-2'));
      expect(set.isRevoked(tenant, 'pushed-forever')).toBe(false);
      expect(set.refusedCount('far-future')).toBe(1);
    } finally {
      await set.stop();
    }
  });

  it("a flood on one tenant's channel cannot grow the local set past its bound nor resurrect a revoked session", async () => {
    const set = new RevocationSet({ redis: redis.client, bounds: { maxEntriesPerTenant: 50 } });
    await set.start();
    try {
      await publishOn(flooded, { tenant: flooded, sessionId: 'stolen' });
      await eventually(() => set.isRevoked(flooded, 'stolen'));
      const pipeline = redis.client.pipeline();
      for (let i = 0; i < 500; i++) {
        const message = { tenant: flooded, sessionId: `flood-${i}`, userId: 'u1', reason: 'x' };
        pipeline.publish(
          redisKey(flooded, SESSION_REVOCATION_CHANNEL),
          JSON.stringify({ ...message, relevantUntil: Date.now() + 60_000 }),
        );
      }
      await pipeline.exec();
      // 501 revocations, 50 kept: the other 451 make the tenant fail closed instead.
      await eventually(() => set.refusedCount('overflow') >= 451);
      expect(set.sizeOf(flooded)).toBe(50);
      expect(set.isRevoked(flooded, 'stolen')).toBe(true);
      expect(set.isRevoked(flooded, 'flood-499')).toBe(true);
      expect(set.isRevoked(flooded, 'never-revoked')).toBe(true); // fails closed, never open
      expect(set.isRevoked(other, 'never-revoked')).toBe(false); // other tenants are untouched
    } finally {
      await set.stop();
    }
  });

  it('a stored set larger than the bound is read only up to it, and its tenant fails closed', async () => {
    const key = redisKey(seeded, REVOKED_SESSIONS_KEY);
    const until = Date.now() + 60_000;
    await redis.client.zadd(key, ...Array.from({ length: 80 }, (_, i) => [until + i, `seeded-${i}`]).flat());
    const set = new RevocationSet({ redis: redis.client, bounds: { maxEntriesPerTenant: 20 } });
    await set.start();
    try {
      expect(set.sizeOf(seeded)).toBe(20);
      expect(set.isRevoked(seeded, 'seeded-79')).toBe(true);
      expect(set.isRevoked(seeded, 'never-revoked')).toBe(true);
    } finally {
      await set.stop();
    }
  });
});
