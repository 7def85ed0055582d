import { describe, expect, it } from 'vitest';
import type { Tenant } from '../api/resources.ts';
import {
  desiredTenant,
  mongoWorkloadRole,
  PLAN_QUOTAS,
  redisAclRules,
  runtimeRecord,
  TENANT_WORKLOAD_ROLE,
} from './desired-state.ts';

function tenant(name: string, spec: Partial<Tenant['spec']> = {}): Tenant {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name, namespace: 'parley', generation: 4, uid: 'u1' },
    spec: { displayName: 'Acme', plan: 'team', ...spec },
  };
}

describe('desiredTenant', () => {
  it('places search by plan unless the spec says (free Shared, team and enterprise Dedicated)', () => {
    expect(desiredTenant(tenant('a', { plan: 'free' })).placement.search).toBe('Shared');
    expect(desiredTenant(tenant('a', { plan: 'team' })).placement.search).toBe('Dedicated');
    expect(desiredTenant(tenant('a', { plan: 'enterprise' })).placement.search).toBe('Dedicated');
    expect(
      desiredTenant(tenant('a', { plan: 'free', placement: { search: 'Dedicated' } })).placement.search,
    ).toBe('Dedicated');
    expect(
      desiredTenant(tenant('a', { plan: 'team', placement: { search: 'Shared' } })).placement.search,
    ).toBe('Shared');
  });

  it("carries spec.gdpr.erasureMode for the registry, nothing when unset (services' default)", () => {
    expect(desiredTenant(tenant('a')).gdpr).toEqual({});
    expect(desiredTenant(tenant('a', { gdpr: { erasureMode: 'anonymise' } })).gdpr).toEqual({
      erasureMode: 'anonymise',
    });
  });

  it('names every store after the tenant id, per the tenancy table', () => {
    const d = desiredTenant(tenant('acme-corp'));
    expect(d.mongo.database).toBe('parley_acme_corp');
    expect(d.redis).toMatchObject({
      user: 'tenant-acme-corp',
      keyPattern: 't:acme-corp:*',
      runtimeKey: 't:acme-corp:runtime',
      workload: { keyPrefix: 't:acme-corp:app:', readOnlyKeys: ['t:acme-corp:runtime'] },
    });
    expect(d.kafka.topics.map((t) => t.name)).toEqual([
      'parley.acme-corp.messages',
      'parley.acme-corp.members',
      'parley.acme-corp.keys',
      'parley.acme-corp.audit',
      'parley.acme-corp.lifecycle',
      'parley.acme-corp.gdpr',
      'parley.acme-corp.notifications',
      'parley.acme-corp.app',
    ]);
    expect(d.kafka.topicPrefix).toBe('parley.acme-corp.');
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
    expect(d.kafka.topics.find((t) => t.stream === 'members')?.config['cleanup.policy']).toBe('delete');
  });

  it('makes the messages topic a compacted changelog with a bounded compaction lag', () => {
    const messages = desiredTenant(tenant('acme')).kafka.topics.find((t) => t.stream === 'messages');
    expect(messages?.config).toMatchObject({
      'cleanup.policy': 'compact,delete',
      'max.compaction.lag.ms': String(30 * 60_000),
      'segment.ms': String(30 * 60_000),
    });
  });

  it('refuses a name that is not a tenant id', () => {
    expect(() => desiredTenant(tenant('platform'))).toThrow(/Invalid tenant id/);
  });
});

describe("the tenant's Kafka principal (one ACL per stream)", () => {
  const acls = desiredTenant(tenant('acme')).kafka.acls;
  const granted = (name: string) => acls.filter((a) => a.name === name).flatMap((a) => a.operations);

  it('reads its messages, members and lifecycle, reads and writes its app stream, uses its own groups', () => {
    expect(acls).toEqual([
      {
        resourceType: 'TOPIC',
        patternType: 'LITERAL',
        name: 'parley.acme.messages',
        operations: ['READ', 'DESCRIBE'],
      },
      {
        resourceType: 'TOPIC',
        patternType: 'LITERAL',
        name: 'parley.acme.members',
        operations: ['READ', 'DESCRIBE'],
      },
      {
        resourceType: 'TOPIC',
        patternType: 'LITERAL',
        name: 'parley.acme.lifecycle',
        operations: ['READ', 'DESCRIBE'],
      },
      {
        resourceType: 'TOPIC',
        patternType: 'LITERAL',
        name: 'parley.acme.app',
        operations: ['READ', 'WRITE', 'DESCRIBE'],
      },
      {
        resourceType: 'GROUP',
        patternType: 'PREFIXED',
        name: 'parley.acme.',
        operations: ['READ', 'DESCRIBE'],
      },
    ]);
  });

  it("grants nothing on the streams Parley's services trust (gdpr, audit, keys, notifications)", () => {
    for (const stream of ['gdpr', 'audit', 'keys', 'notifications'])
      expect(granted(`parley.acme.${stream}`)).toEqual([]);
  });

  it('writes no topic but its app stream, and no topic by prefix', () => {
    expect(acls.filter((a) => a.operations.includes('WRITE')).map((a) => a.name)).toEqual([
      'parley.acme.app',
    ]);
    expect(acls.filter((a) => a.resourceType === 'TOPIC').every((a) => a.patternType === 'LITERAL')).toBe(
      true,
    );
  });
});

describe("the tenant's Mongo role (MongoDB only: FerretDB has no roles)", () => {
  const role = mongoWorkloadRole('parley_acme');

  it('finds in the messaging collections of its own database and does nothing else', () => {
    expect(role).toEqual({
      role: TENANT_WORKLOAD_ROLE,
      privileges: ['conversations', 'members', 'messages', 'attachments', 'conversation_seqs'].map(
        (collection) => ({
          resource: { db: 'parley_acme', collection },
          actions: ['find'],
        }),
      ),
      roles: [],
    });
    expect(desiredTenant(tenant('acme')).mongo.workloadRole).toEqual(role);
  });

  it("has no privilege on auth's or compliance's collections or the outbox, nor on the whole database", () => {
    const collections = role.privileges.map((p) => p.resource.collection);
    for (const platform of [
      'users',
      'roles',
      'sessions',
      'legal_holds',
      'audit_records',
      'gdpr_jobs',
      '_outbox',
      '',
    ])
      expect(collections).not.toContain(platform);
    expect(role.privileges.every((p) => p.resource.db === 'parley_acme')).toBe(true);
    expect(role.roles).toEqual([]);
  });
});

describe('redisAclRules', () => {
  it("reads and writes only its workloads' keys and channels, reads its runtime record, refuses dangerous commands", () => {
    const rules = redisAclRules(desiredTenant(tenant('acme')), 'pw');
    expect(rules[0]).toBe('reset');
    expect(rules).toEqual([
      'reset',
      'on',
      '>pw',
      '~t:acme:app:*',
      '%R~t:acme:runtime',
      '&t:acme:app:*',
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
      '-script|flush',
      '-script|kill',
      '-function',
    ]);
  });

  it("names no pattern that covers auth's keys (lockouts, sessions, revocation set) or channel", () => {
    const patterns = redisAclRules(desiredTenant(tenant('acme')), 'pw').filter((r) =>
      /^(%[RW]*)?[~&]/.test(r),
    );
    expect(patterns).not.toContain('~t:acme:*');
    expect(patterns).not.toContain('&t:acme:*');
    expect(patterns.filter((p) => !p.startsWith('%R~'))).toEqual(['~t:acme:app:*', '&t:acme:app:*']);
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
