// The sweeper purges expired open sign-up requests on the real Mongo-wire server, on its own
// schedule and on demand, leaves live ones alone, and stops cleanly.
import { randomUUID } from 'node:crypto';
import { SIGN_UP_DELIVERY_PURPOSE } from '@parley/contracts';
import { createSilentLogger, eventually } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealDelivery } from './domain/delivery-sealing.ts';
import type { SignUpDocument, TenantCollections } from './store/tenant-store.ts';
import { type AuthFixture, openAuthFixture } from './testing/auth-fixture.ts';
import { SignUpSweeper } from './workers/sign-up-sweeper.ts';

let f: AuthFixture;
let c: TenantCollections;
beforeAll(async () => {
  f = await openAuthFixture();
  c = await f.components.store.forTenant(f.tenant);
});
afterAll(async () => {
  await f?.close();
});

const request = (id: string, expiresInMs: number): SignUpDocument => ({
  _id: id,
  kind: 'verification',
  emailKey: `${id}@example.com`,
  email: `${id}@example.com`,
  displayName: id,
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  tokenHash: 'x',
  createdAt: new Date(),
  expiresAt: new Date(Date.now() + expiresInMs),
});

const ids = async () =>
  (await c.signUps.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id).sort();

describe('the sign-up sweeper', () => {
  it('a sign-up link kept on the notifications topic cannot be opened once the request expired', async () => {
    const id = randomUUID();
    const sealed = await sealDelivery(f.keyring, f.tenant, SIGN_UP_DELIVERY_PURPOSE, id, {
      email: 'late@example.com',
      displayName: 'Late',
      token: `${id}.secret`,
    });
    const open = () =>
      f.keyring.decrypt(f.tenant, SIGN_UP_DELIVERY_PURPOSE, Buffer.from(sealed, 'base64'), {
        aad: Buffer.from(id),
      });
    await expect(open()).resolves.toBeDefined();
    await c.signUps.insertOne(request(id, -1));
    const sweeper = new SignUpSweeper({
      store: f.components.store,
      shredder: f.keyring,
      tenants: async () => [f.tenant],
      intervalMs: 60_000,
      logger: createSilentLogger(),
    });
    expect(await sweeper.sweep()).toBe(1);
    await expect(open()).rejects.toThrow();
    // A request without a key of its own (written before deliveries had one) is purged all the same.
    await c.signUps.insertOne(request(randomUUID(), -1));
    expect(await sweeper.sweep()).toBe(1);
  });

  it('removes expired requests and keeps live ones, on demand and on its schedule', async () => {
    const sweeper = new SignUpSweeper({
      store: f.components.store,
      shredder: f.keyring,
      tenants: async () => [f.tenant],
      intervalMs: 200,
      logger: createSilentLogger(),
    });
    await c.signUps.insertMany([
      request('expired-a', -60_000),
      request('expired-b', -1),
      request('live', 3_600_000),
    ]);
    expect(await sweeper.sweep()).toBe(2);
    expect(await ids()).toEqual(['live']);

    sweeper.start();
    try {
      await c.signUps.insertOne(request('expired-later', -1));
      await eventually(ids, (left) => left.length === 1 && left[0] === 'live', { timeoutMs: 30_000 });
    } finally {
      await sweeper.stop();
    }
    // Stopped: nothing runs any more.
    await c.signUps.insertOne(request('after-stop', -1));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await ids()).toEqual(['after-stop', 'live']);
  });
});
