import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../api/resources.ts';
import { desiredTenant } from '../desired-state.ts';
import { tenantAcls } from '../steps/kafka-principal-step.ts';
import { tenantBucketPolicy } from '../steps/s3-user.ts';
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
    s3Users: new Map([['tenant-acme', { policies: ['parley-tenant-acme'], groups: [] }]]),
    s3Policies: new Map([['parley-tenant-acme', tenantBucketPolicy('acme')]]),
    indices: new Set([desired.searchIndex]),
    searchUsers: new Set(['tenant-acme']),
    searchRoles: new Set(['parley-tenant-acme']),
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
        s3Users: new Map(),
        s3Policies: new Map(),
        indices: new Set(),
        searchUsers: new Set(),
        searchRoles: new Set(),
      }),
    ).toEqual([
      `topic ${desired.kafka.topics[0]?.name}`,
      `1 kafka acl(s) of User:${desired.kafka.principal}`,
      `redis user ${desired.redis.user}`,
      `mongo database ${desired.mongo.database}`,
      `mongo user ${desired.mongo.database}.tenant-acme`,
      `bucket ${desired.bucket}`,
      's3 policy parley-tenant-acme',
      's3 user tenant-acme',
      `search index ${desired.searchIndex}`,
      'search role parley-tenant-acme',
      'search user tenant-acme',
    ]);
  });

  it("names what was changed in the tenant's MinIO identity: a widened policy, another policy mapped, a group", () => {
    const widened = tenantBucketPolicy('acme');
    widened.Statement = [
      ...widened.Statement,
      { Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] },
    ];
    expect(
      driftOf(desired, {
        ...complete(),
        s3Policies: new Map([['parley-tenant-acme', widened]]),
        s3Users: new Map([
          ['tenant-acme', { policies: ['parley-tenant-acme', 'readwrite'], groups: ['admins'] }],
        ]),
      }),
    ).toEqual([
      's3 policy parley-tenant-acme changed',
      's3 user tenant-acme mapped to [parley-tenant-acme, readwrite], not [parley-tenant-acme]',
      's3 user tenant-acme in group(s) admins',
    ]);
  });

  it('does not look for Elasticsearch users or roles where the server has no security (the local 7.10)', () => {
    expect(driftOf(desired, { ...complete(), searchUsers: undefined, searchRoles: undefined })).toEqual([]);
  });

  it('does not look for Mongo users where the server has none (FerretDB)', () => {
    expect(driftOf(desired, { ...complete(), mongoUsers: undefined })).toEqual([]);
  });
});
