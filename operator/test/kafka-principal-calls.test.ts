/**
 * The calls the KafkaPrincipal step makes per reconcile, counted by a recording wrapper around the
 * real @platformatic/kafka admin on the real broker: a resync of settled tenants reads (one
 * DescribeAcls and one DescribeClientQuotas per principal, one DescribeUserScramCredentials for
 * the batch) and writes nothing, where every reconcile used to write the SCRAM credential and the
 * quotas again; what differs is written back and only that (a quota changed by hand, an ACL
 * removed), and a credential is written again once the rewrite period has passed or by a new
 * process. No kafkajs call is made: its admin asks for every topic's metadata before each ACL call.
 */
import { randomBytes } from 'node:crypto';
import { stopInOrder } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { kGetBootstrapConnection, type Admin as PlatformaticAdmin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Tenant } from '../src/api/resources.ts';
import { connectOperatorClients, type OperatorClients } from '../src/clients.ts';
import { CoalescedPrincipalAdmin } from '../src/tenant/coalesced-principal-admin.ts';
import type { TenantCredentials } from '../src/tenant/credentials.ts';
import { type DesiredTenant, desiredTenant } from '../src/tenant/desired-state.ts';
import type { TenantStepContext } from '../src/tenant/step.ts';
import {
  describeUserQuotas,
  removeUserQuotas,
  revokeScramUser,
  setUserQuotas,
} from '../src/tenant/steps/kafka-principal.ts';
import {
  deleteAcls,
  describePrincipalAcls,
  KafkaPrincipalStep,
  principalAclFilter,
} from '../src/tenant/steps/kafka-principal-step.ts';
import { operatorConfig, uniqueId } from './operator-fixture.ts';

/** Kafka API keys of the requests sent on a raw connection (the SCRAM calls). */
const API_NAMES: Record<number, string> = {
  50: 'DescribeUserScramCredentials',
  51: 'AlterUserScramCredentials',
};

/**
 * Records each admin method called (describeAcls, alterClientQuotas...) and each request sent on a
 * connection the admin hands out (the SCRAM calls go through its bootstrap connection).
 */
function recording(admin: PlatformaticAdmin, calls: string[]): PlatformaticAdmin {
  const connection = (real: object) =>
    new Proxy(real, {
      get(object, property) {
        const value = Reflect.get(object, property);
        if (typeof value !== 'function') return value;
        if (property === 'send')
          return (apiKey: number, ...rest: unknown[]) => {
            calls.push(API_NAMES[apiKey] ?? `api ${apiKey}`);
            return Reflect.apply(value, object, [apiKey, ...rest]);
          };
        return value.bind(object);
      },
    });
  return new Proxy(admin, {
    get(object, property) {
      const value = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      if (property === kGetBootstrapConnection)
        return (callback: (error: unknown, c?: object) => void) =>
          Reflect.apply(value, object, [
            (error: unknown, c?: object) => callback(error, c ? connection(c) : c),
          ]);
      if (typeof property === 'string')
        return (...args: unknown[]) => {
          calls.push(property);
          return Reflect.apply(value, object, args);
        };
      return value.bind(object);
    },
  });
}

const tenants: { tenant: Tenant; desired: DesiredTenant; credentials: TenantCredentials }[] = [
  uniqueId('kpa'),
  uniqueId('kpb'),
  uniqueId('kpc'),
].map((id) => {
  const tenant: Tenant = {
    apiVersion: API_VERSION,
    kind: 'Tenant',
    metadata: { name: id, namespace: 'principal-calls', uid: `test-${id}`, generation: 1 },
    spec: { displayName: id, plan: 'team' },
  };
  return {
    tenant,
    desired: desiredTenant(tenant),
    credentials: { kafkaPassword: randomBytes(18).toString('base64url') } as TenantCredentials,
  };
});

let clients: OperatorClients;

/** The step for every tenant at once, as a resync's concurrent reconciles run it. */
async function reconcileAll(admin: CoalescedPrincipalAdmin): Promise<void> {
  const step = new KafkaPrincipalStep(admin);
  const outcomes = await Promise.all(
    tenants.map(({ tenant, desired, credentials }) =>
      step.apply({ tenant, desired, credentials, event: () => {} } as unknown as TenantStepContext),
    ),
  );
  expect(outcomes.map((o) => o.status)).toEqual(['True', 'True', 'True']);
}

const count = (calls: string[], name: string) => calls.filter((c) => c === name).length;

beforeAll(async () => {
  clients = await connectOperatorClients(operatorConfig('principal-calls'), createSilentLogger());
});

afterAll(async () => {
  for (const { desired } of tenants) {
    // Revoked, never removed (kafka-principal.ts: removing a SCRAM user breaks the broker's replay).
    await revokeScramUser(clients.kafkaPlatformatic, desired.kafka.principal).catch(() => {});
    await removeUserQuotas(clients.kafkaPlatformatic, desired.kafka.principal).catch(() => {});
    await clients.kafka.admin.deleteAcls({ filters: [principalAclFilter(desired)] }).catch(() => {});
  }
  await stopInOrder(clients.stoppables, createSilentLogger());
});

describe('KafkaPrincipal calls per reconcile (recording wrapper, real broker)', () => {
  it('a settled resync reads and writes nothing; drift is written back, and only it', async () => {
    const calls: string[] = [];
    let clock = Date.now();
    const admin = new CoalescedPrincipalAdmin(recording(clients.kafkaPlatformatic, calls), {
      scramRewriteMs: 3_600_000,
      now: () => clock,
    });

    // First provisioning: everything is written.
    await reconcileAll(admin);
    expect(count(calls, 'AlterUserScramCredentials')).toBeGreaterThan(0);
    expect(count(calls, 'createAcls')).toBeGreaterThan(0);
    expect(count(calls, 'alterClientQuotas')).toBeGreaterThan(0);

    // A resync of the three settled tenants: reads only.
    calls.length = 0;
    await reconcileAll(admin);
    expect(count(calls, 'describeAcls')).toBe(3);
    expect(count(calls, 'describeClientQuotas')).toBe(3);
    expect(count(calls, 'DescribeUserScramCredentials')).toBeGreaterThan(0);
    expect(count(calls, 'DescribeUserScramCredentials')).toBeLessThanOrEqual(3);
    expect(calls.filter((c) => !c.startsWith('describe') && !c.startsWith('Describe'))).toEqual([]);

    // Drift by hand: one tenant's quota changed, another's ACL removed. Only those are written.
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    await setUserQuotas(clients.kafkaPlatformatic, a.desired.kafka.principal, {
      producerByteRate: 1,
      consumerByteRate: 1,
    });
    const bAcls = await describePrincipalAcls(clients.kafkaPlatformatic, `User:${b.desired.kafka.principal}`);
    await deleteAcls(clients.kafkaPlatformatic, bAcls.slice(0, 1));
    calls.length = 0;
    await reconcileAll(admin);
    expect(calls.filter((c) => !c.startsWith('describe') && !c.startsWith('Describe')).sort()).toEqual([
      'alterClientQuotas',
      'createAcls',
    ]);
    const quotas = await describeUserQuotas(clients.kafkaPlatformatic, a.desired.kafka.principal);
    expect(quotas).toEqual({
      producer_byte_rate: a.desired.kafka.quotas.producerByteRate,
      consumer_byte_rate: a.desired.kafka.quotas.consumerByteRate,
    });
    expect(
      (await describePrincipalAcls(clients.kafkaPlatformatic, `User:${b.desired.kafka.principal}`)).length,
    ).toBe(bAcls.length);

    // Past the rewrite period every credential is written again (a password changed by hand
    // cannot be read back), and so does a new process, which has written none of them.
    clock += 3_600_001;
    calls.length = 0;
    await reconcileAll(admin);
    expect(count(calls, 'AlterUserScramCredentials')).toBeGreaterThan(0);
    const fresh: string[] = [];
    await reconcileAll(new CoalescedPrincipalAdmin(recording(clients.kafkaPlatformatic, fresh)));
    expect(count(fresh, 'AlterUserScramCredentials')).toBeGreaterThan(0);
    expect(count(fresh, 'alterClientQuotas')).toBe(0);
    expect(count(fresh, 'createAcls')).toBe(0);
  });
});
