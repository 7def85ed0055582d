import { describe, expect, it } from 'vitest';
import type { Tenant } from '../api/resources.ts';
import { desiredTenant, PLAN_QUOTAS, redisAclRules, runtimeRecord } from './desired-state.ts';

function tenant(name: string, spec: Partial<Tenant['spec']> = {}): Tenant {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name, namespace: 'parley', generation: 4, uid: 'u1' },
    spec: { displayName: 'Acme', plan: 'team', ...spec },
  };
}

describe('desiredTenant', () => {
  it('names every store after the tenant id, per the tenancy table', () => {
    const d = desiredTenant(tenant('acme-corp'));
    expect(d.mongo.database).toBe('parley_acme_corp');
    expect(d.redis).toMatchObject({
      user: 'tenant-acme-corp',
      keyPattern: 't:acme-corp:*',
      runtimeKey: 't:acme-corp:runtime',
    });
    expect(d.kafka.topics.map((t) => t.name)).toEqual([
      'parley.acme-corp.messages',
      'parley.acme-corp.members',
      'parley.acme-corp.keys',
      'parley.acme-corp.audit',
      'parley.acme-corp.lifecycle',
      'parley.acme-corp.gdpr',
      'parley.acme-corp.notifications',
    ]);
    expect(d.kafka.acls).toEqual([
      {
        resourceType: 'TOPIC',
        prefix: 'parley.acme-corp.',
        operations: ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'],
      },
      { resourceType: 'GROUP', prefix: 'parley.acme-corp.', operations: ['READ', 'DESCRIBE'] },
    ]);
    expect(d.bucket).toBe('parley-acme-corp');
    expect(d.searchIndex).toBe('parley-acme-corp-messages');
    expect(d.secretName).toBe('parley-tenant-acme-corp-credentials');
  });

  it('takes quotas from the plan unless the spec overrides them, and derives Kafka byte rates', () => {
    const d = desiredTenant(tenant('acme', { plan: 'free', quotas: { messagesPerSecond: 10 } }));
    expect(d.quotas).toEqual({ ...PLAN_QUOTAS.free, messagesPerSecond: 10 });
    expect(d.kafka.quotas.producerByteRate).toBe(10 * 16384);
    expect(d.kafka.quotas.consumerByteRate).toBe(4 * d.kafka.quotas.producerByteRate);
  });

  it('applies partitions and replication to every topic', () => {
    const d = desiredTenant(tenant('acme', { kafka: { partitions: 6, replicationFactor: 1 } }));
    expect(new Set(d.kafka.topics.map((t) => t.partitions))).toEqual(new Set([6]));
    expect(d.kafka.topics[0]?.config['cleanup.policy']).toBe('delete');
  });

  it('refuses a name that is not a tenant id', () => {
    expect(() => desiredTenant(tenant('platform'))).toThrow(/Invalid tenant id/);
  });
});

describe('redisAclRules', () => {
  it('resets the user, limits keys and channels to the prefix and refuses dangerous commands', () => {
    const rules = redisAclRules(desiredTenant(tenant('acme')), 'pw');
    expect(rules[0]).toBe('reset');
    expect(rules).toEqual([
      'reset',
      'on',
      '>pw',
      '~t:acme:*',
      '&t:acme:*',
      '+@all',
      '-@dangerous',
      '-@admin',
      '-scan',
      '-randomkey',
      '-dbsize',
      '-pubsub',
      '-select',
      '-swapdb',
      '-move',
    ]);
  });

  it('turns a suspended tenant user off', () => {
    expect(redisAclRules(desiredTenant(tenant('acme', { suspended: true })), 'pw')[1]).toBe('off');
  });
});

describe('runtimeRecord', () => {
  it('carries the registry status, plan, quotas and generation', () => {
    expect(runtimeRecord(desiredTenant(tenant('acme', { suspended: true })), 'Suspended', 4)).toEqual({
      status: 'Suspended',
      plan: 'team',
      quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
      generation: 4,
    });
  });
});
