/**
 * Per-tenant S3 credentials on the local stack's real MinIO: the keys in one tenant's Secret work
 * on its own bucket and nowhere else (no other bucket, no admin API), survive reconciles
 * unchanged, come back after drift by hand, follow suspension, and go with the Tenant.
 */

import { createS3Client } from '@parley/kit';
import { samePolicy } from '@parley/minio-admin';
import type { Client as MinioClient } from 'minio';
import { describe, expect, it } from 'vitest';
import { s3AccessKey, s3PolicyName, tenantBucketPolicy } from '../src/tenant/steps/s3-user.ts';
import { conditions, getJson, kubectlOk, uniqueId, waitFor } from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const tenantA = uniqueId('sa');
const tenantB = uniqueId('sb');

async function tenantSecret(tenant: string): Promise<Record<string, string>> {
  const secret = await getJson<{ data: Record<string, string> }>(
    namespace,
    `secret/parley-tenant-${tenant}-credentials`,
  );
  if (!secret) throw new Error(`no Secret for ${tenant}`);
  return Object.fromEntries(
    Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

/** An S3 client with exactly what the tenant's Secret holds. */
async function clientFromSecret(tenant: string): Promise<MinioClient> {
  const s = await tenantSecret(tenant);
  return createS3Client({
    S3_ENDPOINT: s.S3_ENDPOINT ?? '',
    S3_ACCESS_KEY: s.S3_ACCESS_KEY ?? '',
    S3_SECRET_KEY: s.S3_SECRET_KEY ?? '',
  });
}

/** The S3 error code of a call, or 'ok' when it succeeds. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}

async function readObject(s3: MinioClient, bucket: string, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await s3.getObject(bucket, name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** True once the Secret's keys put an object in the tenant's own bucket again. */
async function secretKeysWork(tenant: string): Promise<boolean> {
  const s3 = await clientFromSecret(tenant);
  return (await outcome(() => s3.putObject(`parley-${tenant}`, 'probe.txt', Buffer.from('p')))) === 'ok';
}

/** The notes of the Events with this reason recorded on the tenant. */
async function eventNotes(tenant: string, reason: string): Promise<string[]> {
  const out = await kubectlOk([
    'get',
    'events',
    '-n',
    namespace,
    '--field-selector',
    `reason=${reason},involvedObject.name=${tenant}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: { message?: string; note?: string }[] }).items.map(
    (e) => e.message ?? e.note ?? '',
  );
}

const suite = operatorSuite({
  prefix: 'ops3-',
  tenants: [{ name: tenantA }, { name: tenantB }],
  cleanupTimeoutMs: 150_000,
});
const { namespace } = suite;

describe("a Tenant's own S3 credentials", { timeout: 120_000 }, () => {
  it('are provisioned: S3User condition True saying what exists, keys in the Secret', async () => {
    const s3User = (await conditions(namespace, `tenant/${tenantA}`)).find((c) => c.type === 'S3User');
    expect(s3User).toMatchObject({ status: 'True', reason: 'Provisioned' });
    expect(s3User?.message).toContain(`MinIO user tenant-${tenantA} enabled`);
    expect(s3User?.message).toContain(`policy parley-tenant-${tenantA}`);
    expect(s3User?.message).toContain(`bucket parley-${tenantA}`);
    const secret = await tenantSecret(tenantA);
    expect(secret.S3_ACCESS_KEY).toBe(`tenant-${tenantA}`);
    expect(secret.S3_SECRET_KEY).toMatch(/^[\w-]{32}$/);
    expect(secret.S3_SECRET_KEY).not.toBe(process.env.S3_SECRET_KEY);
    expect(secret.S3_BUCKET).toBe(`parley-${tenantA}`);
    const info = await suite.op.clients.s3Admin.userInfo(s3AccessKey(tenantA));
    expect(info).toMatchObject({ status: 'enabled', policyName: s3PolicyName(tenantA) });
  });

  it('put, get, list and delete objects in its own bucket', async () => {
    const s3 = await clientFromSecret(tenantA);
    const bucket = `parley-${tenantA}`;
    await s3.putObject(bucket, 'docs/hello.txt', Buffer.from('hello from A'));
    expect(await readObject(s3, bucket, 'docs/hello.txt')).toBe('hello from A');
    const names: string[] = [];
    for await (const item of s3.listObjectsV2(bucket, 'docs/', true)) if (item.name) names.push(item.name);
    expect(names).toEqual(['docs/hello.txt']);
    await s3.removeObject(bucket, 'docs/hello.txt');
    expect(await outcome(() => s3.statObject(bucket, 'docs/hello.txt'))).toBe('NotFound');
  });

  it("are refused another tenant's bucket, bucket administration, other buckets' names and the admin API", async () => {
    const a = await clientFromSecret(tenantA);
    const other = `parley-${tenantB}`;
    await suite.op.clients.s3.putObject(other, 'secret.txt', Buffer.from('B only'));
    expect(await outcome(() => a.getObject(other, 'secret.txt'))).toBe('AccessDenied');
    expect(await outcome(() => a.putObject(other, 'x.txt', Buffer.from('x')))).toBe('AccessDenied');
    expect(await outcome(() => a.removeObject(other, 'secret.txt'))).toBe('AccessDenied');
    expect(await outcome(async () => (await a.listObjectsV2(other, '', true).toArray()).length)).toBe(
      'AccessDenied',
    );
    // Bucket administration, even on its own bucket, is the operator's job.
    expect(await outcome(() => a.makeBucket(`parley-${tenantA}-extra`))).toBe('AccessDenied');
    expect(await outcome(() => a.removeBucket(`parley-${tenantA}`))).toBe('AccessDenied');
    expect(await outcome(() => a.setBucketPolicy(`parley-${tenantA}`, '{}'))).toBe('AccessDenied');
    // MinIO answers ListBuckets with the buckets the caller may list: its own, never another's.
    const listed = (await a.listBuckets()).map((b) => b.name);
    expect(listed).toEqual([`parley-${tenantA}`]);
    // The admin API: not even its own secret key can be changed with these keys.
    const secret = await tenantSecret(tenantA);
    const asA = suite.op.clients.s3Admin.withCredentials(
      secret.S3_ACCESS_KEY ?? '',
      secret.S3_SECRET_KEY ?? '',
    );
    expect(await outcome(() => asA.listUsers())).toBe('AccessDenied');
    expect(await outcome(() => asA.setUser(s3AccessKey(tenantA), 'chosen-by-the-tenant'))).toBe(
      'AccessDenied',
    );
    expect(await outcome(() => asA.userInfo(s3AccessKey(tenantB)))).toBe('AccessDenied');
    await suite.op.clients.s3.removeObject(other, 'secret.txt');
  });

  it('keep the same secret key across reconciles (a spec change included)', async () => {
    const before = (await tenantSecret(tenantA)).S3_SECRET_KEY;
    await kubectlOk([
      'patch',
      '-n',
      namespace,
      'tenant',
      tenantA,
      '--type',
      'merge',
      '-p',
      '{"spec":{"displayName":"Renamed for the S3 test"}}',
    ]);
    await waitFor('observedGeneration to catch up', async () => {
      const t = await getJson<{ metadata: { generation: number }; status?: { observedGeneration?: number } }>(
        namespace,
        `tenant/${tenantA}`,
      );
      return t && t.status?.observedGeneration === t.metadata.generation;
    });
    expect((await tenantSecret(tenantA)).S3_SECRET_KEY).toBe(before);
    expect(await secretKeysWork(tenantA)).toBe(true);
  });

  it('come back when the user and the policy are removed by hand (same keys)', async () => {
    const admin = suite.op.clients.s3Admin;
    const created = (await eventNotes(tenantA, 'S3UserCreated')).length;
    // Should a resync recreate the user between the two calls, the policy is in use again and
    // its removal is refused: then remove both again.
    await waitFor('the user and policy to be removed by hand', async () => {
      await admin.removeUser(s3AccessKey(tenantA));
      await admin.removeCannedPolicy(s3PolicyName(tenantA));
      return true;
    });
    await waitFor(
      'the user to be recreated',
      async () => (await eventNotes(tenantA, 'S3UserCreated')).length > created,
      60_000,
    );
    await waitFor('the Secret keys to work again', () => secretKeysWork(tenantA), 60_000);
    expect(await admin.userInfo(s3AccessKey(tenantA))).toMatchObject({ policyName: s3PolicyName(tenantA) });
    expect(samePolicy(await admin.cannedPolicy(s3PolicyName(tenantA)), tenantBucketPolicy(tenantA))).toBe(
      true,
    );
  });

  it('are narrowed again when the policy is widened, another policy mapped or the secret key changed by hand', async () => {
    const admin = suite.op.clients.s3Admin;
    const user = s3AccessKey(tenantA);
    const policy = s3PolicyName(tenantA);
    await admin.putCannedPolicy(policy, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }],
    });
    await admin.setUserPolicy(user, `${policy},readwrite`);
    const a = await clientFromSecret(tenantA);
    await suite.op.clients.s3.putObject(`parley-${tenantB}`, 'b.txt', Buffer.from('B'));
    await waitFor(
      'the operator to report both corrections',
      async () =>
        (await eventNotes(tenantA, 'S3PolicyRestored')).length > 0 &&
        (await eventNotes(tenantA, 'S3PolicyMappingRestored')).length > 0,
      60_000,
    );
    await waitFor(
      'the policy and its mapping to be restored',
      async () =>
        samePolicy(await admin.cannedPolicy(policy), tenantBucketPolicy(tenantA)) &&
        (await admin.userInfo(user))?.policyName === policy,
      60_000,
    );
    expect(await outcome(() => a.getObject(`parley-${tenantB}`, 'b.txt'))).toBe('AccessDenied');
    await suite.op.clients.s3.removeObject(`parley-${tenantB}`, 'b.txt');

    await admin.setUser(user, 'changed-by-hand-0123456789', 'enabled');
    await waitFor(
      'the secret key to be reset',
      async () => (await eventNotes(tenantA, 'S3SecretKeyRestored')).length > 0,
      60_000,
    );
    expect(await secretKeysWork(tenantA)).toBe(true);
  });

  it('are disabled while the tenant is suspended and enabled again after', async () => {
    const patch = (suspended: boolean) =>
      kubectlOk([
        'patch',
        '-n',
        namespace,
        'tenant',
        tenantB,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { suspended } }),
      ]);
    await patch(true);
    await waitFor(
      'the MinIO user to be disabled',
      async () => (await suite.op.clients.s3Admin.userInfo(s3AccessKey(tenantB)))?.status === 'disabled',
      60_000,
    );
    expect(await secretKeysWork(tenantB)).toBe(false);
    await waitFor('the S3User condition to say so', async () =>
      (await conditions(namespace, `tenant/${tenantB}`))
        .find((c) => c.type === 'S3User')
        ?.message.includes('disabled (tenant suspended)'),
    );
    await patch(false);
    await waitFor('the MinIO user to work again', () => secretKeysWork(tenantB), 60_000);
  });

  it('are removed with the Tenant, with its policy', async () => {
    await kubectlOk(['delete', '-n', namespace, 'tenant', tenantA, '--timeout=90s']);
    expect(await suite.op.clients.s3Admin.userInfo(s3AccessKey(tenantA))).toBeUndefined();
    expect(await suite.op.clients.s3Admin.cannedPolicy(s3PolicyName(tenantA))).toBeUndefined();
    expect(await suite.op.clients.s3.bucketExists(`parley-${tenantA}`)).toBe(false);
  });
});
