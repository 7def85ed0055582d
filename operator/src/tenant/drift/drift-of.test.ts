import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../api/resources.ts';
import { desiredTenant } from '../desired-state.ts';
import { tenantAcls } from '../steps/kafka-principal-step.ts';
import { aclKeyOf, type StoreListing } from './drift-listing.ts';
import { driftOf } from './drift-of.ts';

const tenant: Tenant = {
  apiVersion: 'parley.dev/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'parley', generation: 1, uid: 'u1' },
  spec: { displayName: 'Acme', plan: 'team' },
};
const desired = desiredTenant(tenant);

/** A listing holding everything the tenant needs (and another tenant's things). */
function complete(): StoreListing {
  return {
    topics: new Set([...desired.kafka.topics.map((t) => t.name), 'parley.other.messages']),
    aclsByPrincipal: new Map([
      [`User:${desired.kafka.principal}`, new Set(tenantAcls(desired).map(aclKeyOf))],
    ]),
    redisUsers: new Set(['default', desired.redis.user]),
    databases: new Set([desired.mongo.database]),
    mongoUsers: new Set([`${desired.mongo.database}.tenant-acme`]),
    buckets: new Set([desired.bucket]),
    indices: new Set([desired.searchIndex]),
  };
}

describe('driftOf', () => {
  it('finds nothing when every store holds what the tenant needs', () => {
    expect(driftOf(desired, complete())).toEqual([]);
  });

  it('names each missing thing', () => {
    const listing = complete();
    const topics = new Set(listing.topics);
    topics.delete(desired.kafka.topics[0]?.name ?? '');
    const acls = new Set(listing.aclsByPrincipal.get(`User:${desired.kafka.principal}`));
    acls.delete([...acls][0] ?? '');
    expect(
      driftOf(desired, {
        ...listing,
        topics,
        aclsByPrincipal: new Map([[`User:${desired.kafka.principal}`, acls]]),
        redisUsers: new Set(['default']),
        databases: new Set(),
        mongoUsers: new Set(),
        buckets: new Set(),
        indices: new Set(),
      }),
    ).toEqual([
      `topic ${desired.kafka.topics[0]?.name}`,
      `1 kafka acl(s) of User:${desired.kafka.principal}`,
      `redis user ${desired.redis.user}`,
      `mongo database ${desired.mongo.database}`,
      `mongo user ${desired.mongo.database}.tenant-acme`,
      `bucket ${desired.bucket}`,
      `search index ${desired.searchIndex}`,
    ]);
  });

  it('does not look for Mongo users where the server has none (FerretDB)', () => {
    expect(driftOf(desired, { ...complete(), mongoUsers: undefined })).toEqual([]);
  });
});
