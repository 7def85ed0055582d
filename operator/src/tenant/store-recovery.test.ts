/**
 * StoreRecovery's logic without servers: which stores the Tenants' conditions name as
 * unavailable, that only those are probed, and that a store that answers gets its waiting Tenants
 * retried through the controller's queue (their backoff reset) while a store still down does not.
 * The real thing, an operator whose Redis comes back, is test/tenant-store-recovery.test.ts.
 */
import { createSilentLogger } from '@parley/kit/testing';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../api/resources.ts';
import type { ObjectKey } from '../manager/controller.ts';
import { StoreRecovery, storesWaitedOn } from './store-recovery.ts';

function tenant(name: string, conditions: { type: string; status: string; reason: string }[]): Tenant {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name, namespace: 'ns' },
    spec: { displayName: name, plan: 'free' },
    status: { conditions: conditions.map((c) => ({ ...c, message: '', lastTransitionTime: '' })) },
  } as unknown as Tenant;
}

describe('storesWaitedOn', () => {
  it('names the stores of False conditions whose reason is <Store>Unavailable', () => {
    const t = tenant('a', [
      { type: 'Ready', status: 'False', reason: 'MongoUnavailable' },
      { type: 'Mongo', status: 'False', reason: 'MongoUnavailable' },
      { type: 'Keys', status: 'False', reason: 'KeyringUnavailable' },
      { type: 'Redis', status: 'False', reason: 'RedisError' },
      { type: 'Bucket', status: 'True', reason: 'S3Unavailable' },
    ]);
    expect([...storesWaitedOn(t)].sort()).toEqual(['Keyring', 'Mongo']);
  });
});

describe('StoreRecovery', () => {
  it('probes only the stores Tenants wait on, and retries the waiting Tenants of a store that answers', async () => {
    const probed: string[] = [];
    const retried: ObjectKey[] = [];
    // When each Tenant's backoff would retry it (ms from now), as the controller's queue knows.
    const dueIn = new Map<string, number>();
    const recovery = new StoreRecovery({
      tenants: () => [
        tenant('a', [{ type: 'Mongo', status: 'False', reason: 'MongoUnavailable' }]),
        tenant('b', [{ type: 'Mongo', status: 'False', reason: 'MongoUnavailable' }]),
        tenant('c', [{ type: 'Redis', status: 'False', reason: 'RedisUnavailable' }]),
        tenant('d', [{ type: 'Ready', status: 'True', reason: 'Provisioned' }]),
      ],
      probes: {
        Mongo: async () => probed.push('Mongo'),
        Redis: async () => {
          probed.push('Redis');
          throw new Error('ECONNREFUSED');
        },
        Kafka: async () => probed.push('Kafka'),
      },
      retrySooner: (key, ifLaterThanMs) => {
        expect(ifLaterThanMs).toBe(2_000);
        if ((dueIn.get(key.name) ?? 0) <= ifLaterThanMs) return false;
        retried.push(key);
        return true;
      },
      intervalMs: 1_000,
      logger: createSilentLogger(),
    });
    dueIn.set('a', 300_000); // waits minutes: retried now
    dueIn.set('b', 500); // due soon anyway: left alone
    dueIn.set('c', 300_000); // its store is still down: left alone
    const result = await recovery.check();
    expect(probed.sort()).toEqual(['Mongo', 'Redis']);
    expect(retried).toEqual([{ namespace: 'ns', name: 'a' }]);
    expect(result).toEqual(new Map([['Mongo', 1]]));
  });

  it('a probe that does not answer in time counts as down', async () => {
    let retries = 0;
    const recovery = new StoreRecovery({
      tenants: () => [tenant('a', [{ type: 'Mongo', status: 'False', reason: 'MongoUnavailable' }])],
      probes: { Mongo: () => new Promise(() => {}) },
      retrySooner: () => {
        retries += 1;
        return true;
      },
      intervalMs: 1_000,
      probeTimeoutMs: 20,
      logger: createSilentLogger(),
    });
    expect(await recovery.check()).toEqual(new Map());
    expect(retries).toBe(0);
  });
});
