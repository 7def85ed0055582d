import { describe, expect, it } from 'vitest';
import { s3AccessKey, s3PolicyName, tenantBucketPolicy } from './s3-user.ts';

describe("the tenant's S3 identity", () => {
  it('is named like its Redis and Kafka users, with a policy of its own', () => {
    expect(s3AccessKey('acme')).toBe('tenant-acme');
    expect(s3PolicyName('acme')).toBe('parley-tenant-acme');
  });

  it('reaches its own bucket and its objects only, and denies every admin action', () => {
    const policy = tenantBucketPolicy('acme');
    const allows = policy.Statement.filter((s) => s.Effect === 'Allow');
    const resources = allows.flatMap((s) => s.Resource ?? []);
    expect(resources.sort()).toEqual(['arn:aws:s3:::parley-acme', 'arn:aws:s3:::parley-acme/*']);
    const actions = allows.flatMap((s) => s.Action);
    expect(actions.every((a) => a.startsWith('s3:') && !a.includes('*'))).toBe(true);
    // No bucket administration and no listing of every bucket.
    for (const forbidden of [
      's3:CreateBucket',
      's3:DeleteBucket',
      's3:PutBucketPolicy',
      's3:ListAllMyBuckets',
    ])
      expect(actions).not.toContain(forbidden);
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: ['admin:*'] }));
  });
});
