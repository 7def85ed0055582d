/**
 * Legal holds outrank a Tenant's deletion policy, on the real API server and stores: a CryptoShred
 * Tenant under a hold stays Terminating with its data and keys, says why (condition Deletion,
 * reason UnderLegalHold, naming the hold), records an Event, and the operator's keyring refuses to
 * schedule its keys' destruction; once the last hold is lifted the deletion proceeds by itself.
 */
import { KeyUnderLegalHoldError } from '@parley/keyring';
import { LegalHoldStore } from '@parley/retention';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../src/api/resources.ts';
import {
  getJson,
  kubectl,
  kubectlOk,
  uniqueId,
  waitFor,
  waitForCondition,
  withoutAdmins,
} from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const tenant = uniqueId('th');

const cryptoShred = (yaml: string) =>
  withoutAdmins(yaml).replace('deletionPolicy: Retain', 'deletionPolicy: CryptoShred');

async function databaseExists(): Promise<boolean> {
  const { databases } = await suite.op.clients.mongo.client
    .db('admin')
    .admin()
    .listDatabases({ nameOnly: true });
  return databases.some((d) => d.name === `parley_${tenant}`);
}

const suite = operatorSuite({
  prefix: 'oplh-',
  settings: { OPERATOR_HOLD_RECHECK_MS: '1000' },
  tenants: [{ name: tenant, edit: cryptoShred }],
  // A hold left by a failed test would block the cleanup's deletion.
  beforeCleanup: async (op) => {
    const holds = new LegalHoldStore(op.clients.mongo.client, tenant);
    for (const hold of await holds.list()) await holds.lift(hold.id, { liftedBy: 'test', reason: 'cleanup' });
  },
  setupTimeoutMs: 120_000,
  cleanupTimeoutMs: 120_000,
});
const { namespace } = suite;

describe('a Tenant under legal hold', { timeout: 180_000 }, () => {
  it('a Tenant under legal hold is not deleted; lifted, the deletion proceeds', async () => {
    const holds = new LegalHoldStore(suite.op.clients.mongo.client, tenant);
    // A hold on one person is enough: the tenant key seals that person's messages too.
    const hold = await holds.place({
      scope: { kind: 'person', userId: 'u-17' },
      reason: 'case 9',
      setBy: 'counsel',
    });
    await kubectlOk(['delete', '-n', namespace, 'tenant', tenant, '--wait=false']);

    const seen = await waitForCondition(namespace, `tenant/${tenant}`, 'Deletion', 'False', 60_000);
    const deletion = seen.find((c) => c.type === 'Deletion');
    expect(deletion?.reason).toBe('UnderLegalHold');
    expect(deletion?.message).toContain(hold.id);
    expect(seen.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'UnderLegalHold' });
    const object = await getJson<Tenant>(namespace, `tenant/${tenant}`);
    expect(object?.metadata.deletionTimestamp).toBeTruthy();
    expect(object?.metadata.finalizers).toContain('parley.dev/tenant-cleanup');
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'reason=DeletionBlockedByLegalHold',
      '-o',
      'json',
    ]);
    expect(events).toContain(hold.id);

    // Nothing is destroyed: the database, the bucket and the key are all there; access is gone.
    expect(await databaseExists()).toBe(true);
    expect(await suite.op.clients.s3.bucketExists(`parley-${tenant}`)).toBe(true);
    expect((await suite.op.operator.keyring.listKeys(tenant)).every((k) => k.state === 'enabled')).toBe(true);
    expect(await suite.op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenant}`)).toBeNull();
    // The operator's keyring asks the holds too: it refuses to schedule the key's destruction.
    await expect(
      suite.op.operator.keyring.scheduleDestruction(tenant, 'default', { waitingDays: 7 }),
    ).rejects.toThrow(KeyUnderLegalHoldError);

    // A few rechecks later it still holds.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await databaseExists()).toBe(true);

    await holds.lift(hold.id, { liftedBy: 'counsel', reason: 'case closed' });
    await waitFor(
      'the Tenant to be deleted after the hold was lifted',
      async () => (await kubectl(['get', '-n', namespace, 'tenant', tenant])).code !== 0,
      60_000,
      500,
    );
    expect(await databaseExists()).toBe(false);
    expect(await suite.op.clients.s3.bucketExists(`parley-${tenant}`)).toBe(false);
    expect((await suite.op.operator.keyring.listKeys(tenant)).map((k) => k.state)).toContain(
      'pending-destruction',
    );
  });

  it("the keyring destroys no key of a held tenant, even after the tenant's database is gone", async () => {
    // A key of the tenant deleted above: its keys topic is still there (kept until afterAll), so
    // the keyring's events are published rather than left pending for topics that never come.
    const keyName = 'evidence';
    const keyring = suite.op.operator.keyring;
    await keyring.ensureTenantKey(tenant, keyName);
    // Scheduled eight days ago (before any hold), so its waiting period is over now.
    await keyring.scheduleDestruction(tenant, keyName, {
      waitingDays: 7,
      now: new Date(Date.now() - 8 * 86_400_000),
    });
    const holds = new LegalHoldStore(suite.op.clients.mongo.client, tenant);
    const hold = await holds.place({ scope: { kind: 'tenant' }, reason: 'case 10', setBy: 'counsel' });
    await suite.op.clients.mongo.client.db(`parley_${tenant}`).dropDatabase(); // what a deletion drops

    await keyring.destroyDueKeys();
    expect((await keyring.listVersions(tenant, keyName)).state).toBe('pending-destruction');

    await holds.lift(hold.id, { liftedBy: 'counsel', reason: 'case closed' });
    await keyring.destroyDueKeys();
    expect((await keyring.listVersions(tenant, keyName)).state).toBe('destroyed');
  });
});
