/**
 * A Retained tenant's data is taken over only explicitly, on the real API server and stores: a
 * Tenant of the same name in another namespace is refused (even when it asks), one in the same
 * namespace must name the retained tenant in spec.adoptRetained, and the adoption is announced
 * (an Event and tenancy.tenant.adopted.v1 on the lifecycle topic, written with the registry).
 */
import { kafkaTopic } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryCollection } from '../src/tenant/registry.ts';
import { deleteTenantBucket } from '../src/tenant/steps/bucket-step.ts';
import {
  conditions,
  ensureCrdsAndNamespace,
  kubectl,
  kubectlOk,
  removeTenantTopics,
  sample,
  startTestOperator,
  type TestOperator,
  uniqueId,
  waitFor,
  waitForCondition,
  waitForEvent,
  withoutAdmins,
} from './operator-fixture.ts';

const home = uniqueId('opad-');
const elsewhere = uniqueId('opadx-');
const tenant = uniqueId('ta');
let op: TestOperator;
let other: TestOperator;

const adopting = (yaml: string) => `${withoutAdmins(yaml).trimEnd()}\n  adoptRetained: ${tenant}\n`;

async function apply(namespace: string, edit: (yaml: string) => string): Promise<void> {
  await kubectlOk(['apply', '-n', namespace, '-f', '-'], await sample('tenant-acme.yaml', tenant, edit));
}

async function registryOwner(): Promise<string | undefined> {
  const entry = await registryCollection(op.clients.mongo.client).findOne({ _id: tenant });
  return entry ? `${entry.owner.namespace}/${entry.owner.name}/${entry.owner.uid}` : undefined;
}

async function uidOf(namespace: string): Promise<string> {
  return kubectlOk(['get', '-n', namespace, 'tenant', tenant, '-o', 'jsonpath={.metadata.uid}']);
}

beforeAll(async () => {
  await ensureCrdsAndNamespace(home);
  await ensureCrdsAndNamespace(elsewhere);
  op = await startTestOperator(home);
  other = await startTestOperator(elsewhere);
  // A Retain tenant with data, then deleted: its data stays, its registry entry says Deleted.
  await apply(home, withoutAdmins);
  await waitForCondition(home, `tenant/${tenant}`, 'Ready', 'True', 90_000);
  await op.clients.mongo.client
    .db(`parley_${tenant}`)
    .collection('messages')
    .insertOne({ conversationId: 'c1', text: 'the retained data' });
  await kubectlOk(['delete', '-n', home, 'tenant', tenant, '--timeout=90s']);
}, 180_000);

afterAll(async () => {
  if (op) {
    await kubectl(['delete', '-n', elsewhere, 'tenant', tenant, '--timeout=60s']);
    await kubectl(['delete', '-n', home, 'tenant', tenant, '--timeout=60s']);
    // Retain left the data on purpose; the test removes it.
    await op.clients.mongo.client.db(`parley_${tenant}`).dropDatabase();
    await deleteTenantBucket(op.clients.s3, `parley-${tenant}`);
    await op.clients.elasticsearch.indices.delete({
      index: `parley-${tenant}-messages`,
      ignore_unavailable: true,
    });
    await op.clients.redis.client.del(`t:${tenant}:runtime`);
    await registryCollection(op.clients.mongo.client).deleteOne({ _id: tenant });
    await other?.stop();
    await op.stop();
    await removeTenantTopics([tenant]);
  }
  await kubectl(['delete', 'namespace', home, '--wait=false']);
  await kubectl(['delete', 'namespace', elsewhere, '--wait=false']);
}, 120_000);

describe("a retained tenant's data", { timeout: 240_000 }, () => {
  it("a Tenant in another namespace cannot claim a retained tenant's data", async () => {
    const before = await registryOwner();
    // Even naming the retained tenant does not help from another namespace.
    await apply(elsewhere, adopting);
    const seen = await waitForCondition(elsewhere, `tenant/${tenant}`, 'Registry', 'False', 60_000);
    expect(seen.find((c) => c.type === 'Registry')?.reason).toBe('RetainedInAnotherNamespace');
    expect(seen.find((c) => c.type === 'Mongo')?.reason).toBe('Blocked');
    expect(seen.find((c) => c.type === 'Ready')?.status).toBe('False');
    // Nothing reached the impostor: no credentials Secret, no Redis user, the registry unchanged.
    expect(
      (await kubectl(['get', '-n', elsewhere, 'secret', `parley-tenant-${tenant}-credentials`])).code,
    ).not.toBe(0);
    expect(await op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenant}`)).toBeNull();
    expect(await registryOwner()).toBe(before);
    // Its deletion cleans nothing up: the data is not its own.
    await kubectlOk(['delete', '-n', elsewhere, 'tenant', tenant, '--timeout=60s']);
    expect(await op.clients.mongo.client.db(`parley_${tenant}`).collection('messages').countDocuments()).toBe(
      1,
    );
  });

  it('a Tenant in the same namespace must name the retained tenant to adopt it', async () => {
    await apply(home, withoutAdmins);
    const refused = await waitForCondition(home, `tenant/${tenant}`, 'Registry', 'False', 60_000);
    expect(refused.find((c) => c.type === 'Registry')).toMatchObject({
      reason: 'AdoptionNotRequested',
      message: expect.stringContaining(`spec.adoptRetained: ${tenant}`),
    });
    expect(await op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenant}`)).toBeNull();
  });

  it('adopts it when asked, announces it, and the data is there', async () => {
    await apply(home, adopting);
    await waitForCondition(home, `tenant/${tenant}`, 'Ready', 'True', 90_000);
    const uid = await uidOf(home);
    expect(await registryOwner()).toBe(`${home}/${tenant}/${uid}`);
    expect(await op.clients.mongo.client.db(`parley_${tenant}`).collection('messages').countDocuments()).toBe(
      1,
    );
    const recorded = await waitFor('a RetainedTenantAdopted event', async () => {
      const out = await kubectlOk([
        'get',
        'events',
        '-n',
        home,
        '--field-selector',
        'reason=RetainedTenantAdopted',
        '-o',
        'json',
      ]);
      return out.includes('took over the retained data') ? out : undefined;
    });
    expect(recorded).toContain(tenant);
    const event = await waitForEvent<{ type: string; payload: { owner: { uid: string } } }>(
      kafkaTopic(tenant, 'lifecycle'),
      (e) => e.type === 'tenancy.tenant.adopted.v1',
    );
    expect(event.payload.owner.uid).toBe(uid);
    expect((await conditions(home, `tenant/${tenant}`)).find((c) => c.type === 'Registry')?.reason).toBe(
      'Claimed',
    );
  });

  it('refuses a spec.adoptRetained that names another tenant at the API server', async () => {
    const wrong = (yaml: string) => `${withoutAdmins(yaml).trimEnd()}\n  adoptRetained: someone-else\n`;
    const result = await kubectl(
      ['apply', '-n', home, '--dry-run=server', '-f', '-'],
      await sample('tenant-acme.yaml', uniqueId('tz'), wrong),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/adoptRetained .*must equal metadata.name/);
  });
});
