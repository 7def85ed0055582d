/**
 * Attacks on the audit log's evidence, performed on the real servers (FerretDB, MinIO, the real
 * keyring) through the service as it runs: forged sealing, a tail cut back with the checkpoints
 * that covered it, a restart that would sign the shortened log, signing on demand, and a
 * rotated signing key. Each test names the attack and shows it refused or detected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateSigningKeyPem,
  logName,
  type SignedCheckpoint,
  type SigningKey,
  signCheckpoint,
  signingKeyFromPem,
  verifyChain,
  verifyProofBundle,
} from '@parley/audit-chain';
import { AUDIT_PII_PURPOSE, type AuditRecordInput } from '@parley/contracts';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogs } from './domain/audit-logs.ts';
import { loadPreviousPublicKeys } from './domain/signing-key-file.ts';
import {
  BucketCheckpoints,
  LATEST_CHECKPOINT_OBJECT,
  SIGNING_KEYS_OBJECT,
} from './store/checkpoint-bucket.ts';
import { auditInput, type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
const dir = mkdtempSync(join(tmpdir(), 'compliance-attacks-'));
beforeAll(async () => {
  f = await openComplianceFixture();
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await f?.close();
});

async function submit(tenant: string, records: unknown[], app = f.app) {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/audit/records`,
    headers: { 'x-service-token': 'compliance-test-token-0123456789' },
    payload: { source: 'auth', records } as object,
  });
  return { status: response.statusCode, body: response.json() };
}

/** The service as a new process would build it: another AuditLogs over the same stores. */
function restartedLogs(
  options: {
    signingKey?: SigningKey;
    previousKeys?: AuditLogs['publicKeys'];
    policy?: { everyRecords: number; everyMs: number };
  } = {},
) {
  const signingKey = options.signingKey ?? f.signingKey;
  const logs: AuditLogs = new AuditLogs({
    client: f.client,
    signingKey,
    sealer: f.sealer,
    logger: f.logger,
    checkpointPolicy: options.policy ?? { everyRecords: 5, everyMs: 60_000 },
    previousKeys: [...(options.previousKeys ?? new Map())].map(([keyId, publicKey]) => ({
      keyId,
      publicKey,
    })),
    publisher: new BucketCheckpoints(f.s3, () => logs.keysDocument),
  });
  return logs;
}

async function readObject(bucket: string, key: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of await f.s3.getObject(bucket, key)) chunks.push(Buffer.from(chunk as Uint8Array));
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Ten records with checkpoints (published) at 5 and 10, then what someone with the database does:
 * records 7.. deleted, with every checkpoint that covered them.
 */
async function cutBackLog(): Promise<{ tenant: string; published: SignedCheckpoint }> {
  const tenant = await f.tenant();
  for (let i = 0; i < 2; i += 1) {
    expect(
      (
        await submit(
          tenant,
          Array.from({ length: 5 }, () => auditInput()),
        )
      ).status,
    ).toBe(202);
  }
  const signed = await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints/latest`);
  expect(signed.body.treeSize).toBe(10);
  const db = f.client.db(mongoDatabaseName(tenant));
  await db.collection('audit_records').deleteMany({ sequence: { $gte: 7 } });
  await db.collection('audit_checkpoints').deleteMany({ _id: { $gte: 6 } as never });
  await db.collection('audit_head').deleteMany({});
  return { tenant, published: signed.body };
}

describe('audit attacks', () => {
  it('a record naming one key with fields sealed under another is refused', async () => {
    const tenant = await f.tenant();
    const seal = async (keyName?: string) => {
      await f.keyring.ensureTenantKey(tenant, ...(keyName ? [keyName] : []));
      return (
        await f.keyring.encrypt(
          tenant,
          AUDIT_PII_PURPOSE,
          Buffer.from('{"email":"alice@example.com"}'),
          keyName ? { keyName } : {},
        )
      ).toString('base64');
    };
    // Sealed under bob's key (or the tenant's default) but filed as alice's: it opens, yet would
    // survive alice's erasure, which destroys only subject:u-alice.
    for (const ciphertext of [await seal('subject:u-bob'), await seal()]) {
      const refused = await submit(tenant, [
        auditInput({ personal: [{ subject: 'u-alice', keyName: 'subject:u-alice', ciphertext }] }),
      ]);
      expect(refused.status).toBe(400);
      expect(refused.body.type).toBe('https://parley.dev/problems/audit-record-rejected');
      expect(refused.body.detail).toMatch(/sealed under another key than subject:u-alice/);
    }
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/records`)).body.records).toEqual([]);
    // Sealed under the key it names: accepted, and stored as sent.
    const genuine = await seal('subject:u-alice');
    const accepted = await submit(tenant, [
      auditInput({ personal: [{ subject: 'u-alice', keyName: 'subject:u-alice', ciphertext: genuine }] }),
    ]);
    expect(accepted.status).toBe(202);
    const stored = (await f.call('GET', `/v1/tenants/${tenant}/audit/records/0`)).body;
    expect(stored.personal[0]).toMatchObject({ keyName: 'subject:u-alice', ciphertext: genuine });
  });

  it('deleting the tail and its checkpoints is detected against a published checkpoint', async () => {
    const { tenant, published } = await cutBackLog();
    // The checkpoint is in the tenant's bucket and served from there, whatever the database says.
    const bucket = s3BucketName(tenant);
    expect(await readObject(bucket, LATEST_CHECKPOINT_OBJECT)).toEqual(published);
    const listed = await f.call('GET', `/v1/tenants/${tenant}/audit/published-checkpoints`);
    expect(listed.body.checkpoints).toContainEqual(published);

    // Against the database alone (the verifier as it was) the cut log verifies clean...
    const log = await f.auditLogs.get(tenant);
    const stored = (await log.listCheckpoints()).reverse();
    const records = await log.listRecords({ limit: 1000 });
    const dbOnly = await verifyChain({
      tenant,
      records,
      checkpoints: stored,
      publicKeys: f.auditLogs.publicKeys,
    });
    expect(dbOnly.ok).toBe(true);
    // ...the service's verification reads the published checkpoint too.
    const verification = await f.call('GET', `/v1/tenants/${tenant}/audit/verify`);
    expect(verification.body.ok).toBe(false);
    expect(verification.body.problems).toContainEqual(
      expect.objectContaining({ kind: 'truncated', treeSize: 10 }),
    );
    // And offline: the tenant pins the checkpoint it kept against a full bundle.
    const bundle = await f.call('GET', `/v1/tenants/${tenant}/audit/proofs?full=true`);
    expect((await verifyProofBundle(bundle.body, f.auditLogs.publicKeys)).ok).toBe(true);
    const pinned = await verifyProofBundle(bundle.body, f.auditLogs.publicKeys, [published]);
    expect(pinned.ok).toBe(false);
    expect(pinned.checks).toContainEqual(
      expect.objectContaining({ what: expect.stringMatching(/^pinned checkpoint size 10/), ok: false }),
    );
  });

  it('the service refuses to sign a log shorter than a published checkpoint', async () => {
    const { tenant } = await cutBackLog();
    // A restarted service has no memory of the cut: only the published checkpoint stands in the way.
    const restarted = restartedLogs();
    const app = f.newApp({ auditLogs: restarted });
    await app.ready();
    try {
      expect((await submit(tenant, [auditInput()], app)).status).toBe(202); // 8 records now
      const refused = await app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/audit/checkpoints`,
        headers: { 'x-service-token': 'compliance-test-token-0123456789' },
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ type: 'https://parley.dev/problems/audit-integrity' });
      expect(refused.json().detail).toMatch(/holds 8 records, its published checkpoint covers 10/);
      // Growing the rewritten log past the published size does not launder it either.
      await submit(
        tenant,
        Array.from({ length: 6 }, () => auditInput()),
        app,
      );
      await expect(restarted.signNow(tenant)).rejects.toThrow(
        /no longer matches its published checkpoint at size 10/,
      );
      const stored = await f.client
        .db(mongoDatabaseName(tenant))
        .collection('audit_checkpoints')
        .find({ _id: { $gt: 6 } as never })
        .toArray();
      expect(stored).toEqual([]);
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/parley_compliance_audit_checkpoint_refusals_total [1-9]/);
    } finally {
      await app.close();
    }
  });

  it('reading the latest checkpoint never signs; asking to sign is rate-limited per tenant', async () => {
    const tenant = await f.tenant();
    await submit(
      tenant,
      Array.from({ length: 5 }, () => auditInput()),
    ); // the first checkpoint (5) is signed by policy at once
    await submit(tenant, [auditInput(), auditInput()]); // under the policy's 5 more: not due
    for (let i = 0; i < 5; i += 1) {
      expect((await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints/latest`)).body.treeSize).toBe(5);
    }
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints`)).body.checkpoints).toHaveLength(1);

    const first = await f.call('POST', `/v1/tenants/${tenant}/audit/checkpoints`);
    expect(first).toMatchObject({ status: 201, body: { treeSize: 7 } });
    await submit(tenant, [auditInput()]);
    // Asked again at once: the latest, not a new signature.
    const again = await f.call('POST', `/v1/tenants/${tenant}/audit/checkpoints`);
    expect(again).toMatchObject({ status: 200, body: { treeSize: 7 } });
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints`)).body.checkpoints).toHaveLength(2);
  });

  it('an old checkpoint verifies after the audit key rotates', async () => {
    const tenant = await f.tenant();
    await submit(
      tenant,
      Array.from({ length: 5 }, () => auditInput()),
    );
    const old = (await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints/latest`)).body;
    expect(old).toMatchObject({ treeSize: 5, keyId: f.signingKey.keyId });

    const rotated = signingKeyFromPem(generateSigningKeyPem());
    // Rotated without the old key: every old checkpoint is unknown-key, and nothing is signed.
    const forgetful = restartedLogs({ signingKey: rotated });
    expect((await (await forgetful.get(tenant)).verify(forgetful.publicKeys)).problems).toContainEqual(
      expect.objectContaining({ kind: 'unknown-key', treeSize: 5 }),
    );
    await submit(tenant, [auditInput()]);
    await expect(forgetful.signNow(tenant)).rejects.toThrow(/not trusted/);

    // Rotated with the old public key wired (AUDIT_PREVIOUS_KEYS_PATH, a PEM file).
    const previousPath = join(dir, `previous-${tenant}.pem`);
    writeFileSync(previousPath, f.signingKey.publicKeyPem);
    const previous = await loadPreviousPublicKeys(previousPath);
    expect(previous.map((k) => k.keyId)).toEqual([f.signingKey.keyId]);
    const logs = restartedLogs({
      signingKey: rotated,
      previousKeys: new Map(previous.map((k) => [k.keyId, k.publicKey])),
    });
    const app = f.newApp({ auditLogs: logs });
    await app.ready();
    try {
      const signed = await app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/audit/checkpoints`,
        headers: { 'x-service-token': 'compliance-test-token-0123456789' },
      });
      expect(signed.statusCode).toBe(201);
      expect(signed.json()).toMatchObject({ treeSize: 6, keyId: rotated.keyId });
      const verification = (
        await app.inject({
          method: 'GET',
          url: `/v1/tenants/${tenant}/audit/verify`,
          headers: { 'x-service-token': 'compliance-test-token-0123456789' },
        })
      ).json();
      expect(verification).toMatchObject({ ok: true, problems: [] });
      expect(verification.checkpointsVerified).toBeGreaterThanOrEqual(2);
      // The keys, old and new, for anyone: no service credential needed.
      const keys = await app.inject({ method: 'GET', url: '/v1/audit/signing-keys' });
      expect(keys.statusCode).toBe(200);
      expect(keys.json().current).toBe(rotated.keyId);
      expect(
        keys
          .json()
          .keys.map((k: { keyId: string }) => k.keyId)
          .sort(),
      ).toEqual([rotated.keyId, f.signingKey.keyId].sort());
    } finally {
      await app.close();
    }
  });

  it('the audit public keys are published where a tenant reads them without the service credential', async () => {
    const anonymous = await f.call('GET', '/v1/audit/signing-keys', undefined, null);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.keys.map((k: { keyId: string }) => k.keyId)).toContain(f.signingKey.keyId);
    // Every other route still wants the credential.
    expect((await f.call('GET', '/v1/gdpr/participants', undefined, null)).status).toBe(401);
    // And in the tenant's own bucket, beside its checkpoints.
    const tenant = await f.tenant();
    await submit(
      tenant,
      Array.from({ length: 5 }, () => auditInput()),
    );
    expect(await readObject(s3BucketName(tenant), SIGNING_KEYS_OBJECT)).toEqual(anonymous.body);
  });

  it('a checkpoint replaced in the bucket by one not signed by Parley blocks signing instead of being trusted', async () => {
    const tenant = await f.tenant();
    await submit(
      tenant,
      Array.from({ length: 5 }, () => auditInput()),
    );
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints/latest`)).body.treeSize).toBe(5);
    // Someone who can write the bucket puts a checkpoint of their own there (a huge size, their key).
    const stranger = signingKeyFromPem(generateSigningKeyPem());
    const forged = signCheckpoint(
      {
        log: logName(tenant),
        treeSize: 50,
        rootHash: 'f'.repeat(64),
        issuedAt: new Date().toISOString(),
        keyId: stranger.keyId,
      },
      stranger.privateKey,
    );
    const body = Buffer.from(JSON.stringify(forged));
    await f.s3.putObject(s3BucketName(tenant), LATEST_CHECKPOINT_OBJECT, body, body.length);
    await submit(tenant, [auditInput()]);
    await expect(restartedLogs().signNow(tenant)).rejects.toThrow(/not evidence .*not trusted/);
  });
});

describe('published checkpoints with several replicas', () => {
  it('a replica whose tree lags another replica’s published checkpoint catches up instead of refusing', async () => {
    const tenant = await f.tenant();
    const policy = { everyRecords: 1000, everyMs: 1000 };
    const record = () => auditInput() as AuditRecordInput;
    const lagging = restartedLogs({ policy });
    await lagging.append(tenant, [record()], 'auth'); // signs 1 (the first, at once)
    await lagging.append(tenant, [record()], 'auth'); // 2, not due yet
    // The other replica appends 5 and signs (and publishes) 7.
    await f.auditLogs.append(tenant, Array.from({ length: 5 }, record), 'auth');
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints/latest`)).body.treeSize).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Due by time on the lagging replica, whose tree holds 2: the log is not shorter, its view is.
    const checkpoint = await (await lagging.get(tenant)).checkpoint({ policy });
    expect(checkpoint?.treeSize).toBe(7);
  });
});
