/**
 * Against the local stack's real MinIO: users and canned policies through the admin API, and
 * madmin's encryption both ways (the server decrypts our add-user body, we decrypt its list-users
 * answer).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MinioAdmin, MinioAdminError } from './minio-admin-client.ts';
import { type PolicyDocument, samePolicy } from './policy-document.ts';

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the vitest global setup exports the stack's settings)`);
  return value;
}

const endpoint = setting('S3_ENDPOINT');
const admin = new MinioAdmin({
  endpoint,
  accessKey: setting('S3_ACCESS_KEY'),
  secretKey: setting('S3_SECRET_KEY'),
});
const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const user = `madmin-test-${run}`;
const policyName = `madmin-test-${run}`;
const secret = randomBytes(24).toString('base64url');

const policy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`arn:aws:s3:::madmin-${run}/*`] },
    { Effect: 'Deny', Action: ['admin:*'] },
  ],
};

afterAll(async () => {
  await admin.removeUser(user);
  await admin.removeCannedPolicy(policyName);
});

describe('MinioAdmin against the real server', () => {
  it('creates a user through an encrypted body the server decrypts, then lists it from an encrypted answer', async () => {
    expect(await admin.userInfo(user)).toBeUndefined();
    await admin.setUser(user, secret, 'enabled');
    expect(await admin.userInfo(user)).toMatchObject({ status: 'enabled' });
    // list-users is sealed by the server with EncryptData under our secret key.
    const users = await admin.listUsers();
    expect(users[user]).toMatchObject({ status: 'enabled' });
  });

  it("the server stored the secret we sent: the user's own signed request is recognised (denied, not unknown)", async () => {
    const asUser = admin.withCredentials(user, secret);
    const denied = await asUser.listUsers().catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(MinioAdminError);
    expect((denied as MinioAdminError).code).toBe('AccessDenied');
    const wrong = new MinioAdmin({ endpoint, accessKey: user, secretKey: `${secret}x` });
    const refused = await wrong.listUsers().catch((error: unknown) => error);
    expect((refused as MinioAdminError).code).toBe('SignatureDoesNotMatch');
    expect(await asUser.credentialsRecognised()).toBe(true);
    expect(await wrong.credentialsRecognised()).toBe(false);
    expect(await admin.credentialsRecognised()).toBe(true);
    const unknown = new MinioAdmin({ endpoint, accessKey: `nobody-${run}`, secretKey: secret });
    expect(await unknown.credentialsRecognised()).toBe(false);
  });

  it('puts, reads back (same meaning, server formatting aside) and maps a canned policy', async () => {
    expect(await admin.cannedPolicy(policyName)).toBeUndefined();
    await admin.putCannedPolicy(policyName, policy);
    const stored = await admin.cannedPolicy(policyName);
    expect(samePolicy(stored, policy)).toBe(true);
    expect(samePolicy(stored, { ...policy, Statement: [policy.Statement[0]] })).toBe(false);
    await admin.setUserPolicy(user, policyName);
    expect((await admin.userInfo(user))?.policyName).toBe(policyName);
    // Listed with every other policy, document included (what the operator's drift sweep reads).
    const listed = await admin.listCannedPolicies();
    expect(samePolicy(listed[policyName], policy)).toBe(true);
    expect(Object.keys(listed)).toContain('readwrite');
  });

  it('disables and re-enables a user (the server also reads an argon2id-derived body)', async () => {
    await admin.setUserStatus(user, 'disabled');
    expect((await admin.userInfo(user))?.status).toBe('disabled');
    const argon2idAdmin = new MinioAdmin({
      endpoint,
      accessKey: setting('S3_ACCESS_KEY'),
      secretKey: setting('S3_SECRET_KEY'),
      bodyKdf: 'argon2id',
    });
    await argon2idAdmin.setUser(user, secret, 'enabled');
    expect(await admin.withCredentials(user, secret).credentialsRecognised()).toBe(true);
    const info = await admin.userInfo(user);
    // add-user rewrites secret and status, never the policy mapping.
    expect(info).toMatchObject({ status: 'enabled', policyName });
  });

  it('refuses to remove a policy in use, then removes user and policy idempotently', async () => {
    const inUse = await admin.removeCannedPolicy(policyName).catch((error: unknown) => error);
    expect((inUse as MinioAdminError).code).toBe('XMinioIAMPolicyInUse');
    expect(await admin.removeUser(user)).toBe(true);
    expect(await admin.removeUser(user)).toBe(false);
    await admin.removeCannedPolicy(policyName);
    await admin.removeCannedPolicy(policyName);
    expect(await admin.userInfo(user)).toBeUndefined();
    expect(await admin.cannedPolicy(policyName)).toBeUndefined();
  });
});
