/**
 * KeyRotationSchedule with rewrapPolicy Background on the local stack: after a rotation the
 * operator re-wraps every stored ciphertext registered in @parley/contracts (auth's TOTP secrets,
 * pending TOTP secrets and signing keys, written here in auth's document shapes), reports its
 * progress in status, raises the minimum decryption version only once the rewrap is complete,
 * and a re-run changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { ENCRYPTED_FIELDS, SIGNING_KEY_PURPOSE, TOTP_SECRET_PURPOSE } from '@parley/contracts';
import {
  ciphertextKeyVersion,
  KEYS_COLLECTION,
  REWRAP_PROGRESS_COLLECTION,
  type RewrapProgress,
} from '@parley/keyring';
import { createSilentLogger } from '@parley/kit/testing';
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import type { Collection, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { KeyRotationRewrapStatus } from '../src/api/resources.ts';
import { buildKeyRotationScheduleReconciler } from '../src/key-rotation-schedule/build-key-rotation-schedule-reconciler.ts';
import { createEventRecorder } from '../src/manager/event-recorder.ts';
import { connectKube } from '../src/manager/kube-client.ts';
import {
  type ConditionView,
  forceRotate,
  getJson,
  kubectlOk,
  uniqueId,
  waitFor,
  waitForCondition,
} from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

// Long enough that the pass started with the rotation cannot count as the proof (it must be
// followed by a verification pass), short enough for a test.
const SETTLE_MS = 20_000;
const USERS = 12;
const tenant = uniqueId('trw');
const otherTenant = uniqueId('trwo');
const name = `${tenant}-key`;
let signingKeys: Collection<Document>;
/** What each stored ciphertext was sealed from, by document id and field. */
const plaintexts = new Map<string, string>();

interface KrsView {
  status?: {
    currentVersion?: number;
    minDecryptionVersion?: number;
    rewrap?: KeyRotationRewrapStatus;
    conditions?: ConditionView[];
  };
}

const krs = () => getJson<KrsView>(namespace, `keyrotationschedule/${name}`);

/** Documents shaped as services/auth writes them (users in the tenant database, signing keys in the platform's). */
async function seedAuthData(forTenant: string, count: number): Promise<void> {
  const keyring = suite.op.operator.keyring;
  const tenantUsers = suite.op.clients.mongo.client.db(mongoDatabaseName(forTenant)).collection('users');
  for (let i = 0; i < count; i++) {
    const id = `${forTenant}-u${i}`;
    const secret = `JBSWY3DPEHPK3PXP${i}`;
    const sealed = await keyring.encrypt(forTenant, TOTP_SECRET_PURPOSE, Buffer.from(secret), {
      aad: Buffer.from(id),
    });
    const field = i % 3 === 2 ? 'totpPending' : 'totp';
    plaintexts.set(`${id}/${field}`, secret);
    await tenantUsers.insertOne({
      _id: id as never,
      emailKey: `${id}@example.test`,
      [field]: { sealedSecret: sealed.toString('base64'), createdAt: new Date() },
    });
  }
  for (let period = 0; period < 2; period++) {
    const kid = `${forTenant}.${period}.${randomUUID().slice(0, 8)}`;
    const der = `private-key-${kid}`;
    const sealed = await keyring.encrypt(forTenant, SIGNING_KEY_PURPOSE, Buffer.from(der), {
      aad: Buffer.from(kid),
    });
    plaintexts.set(`${forTenant}/${period}/sealedPrivateKey`, der);
    await signingKeys.insertOne({
      _id: `${forTenant}/${period}` as never,
      tenant: forTenant,
      period,
      kid,
      sealedPrivateKey: sealed.toString('base64'),
    });
  }
}

/** The version of every stored ciphertext of a tenant, after checking each still opens to what was sealed. */
async function storedVersions(forTenant: string): Promise<number[]> {
  const keyring = suite.op.operator.keyring;
  const versions: number[] = [];
  const tenantUsers = suite.op.clients.mongo.client.db(mongoDatabaseName(forTenant)).collection('users');
  for (const user of await tenantUsers.find().toArray()) {
    for (const field of ['totp', 'totpPending']) {
      const sealed = user[field]?.sealedSecret;
      if (!sealed) continue;
      const blob = Buffer.from(sealed, 'base64');
      versions.push(ciphertextKeyVersion(blob).version);
      const opened = await keyring.decrypt(forTenant, TOTP_SECRET_PURPOSE, blob, {
        aad: Buffer.from(String(user._id)),
      });
      expect(opened.toString()).toBe(plaintexts.get(`${user._id}/${field}`));
    }
  }
  for (const doc of await signingKeys.find({ tenant: forTenant }).toArray()) {
    const blob = Buffer.from(doc.sealedPrivateKey, 'base64');
    versions.push(ciphertextKeyVersion(blob).version);
    const opened = await keyring.decrypt(forTenant, SIGNING_KEY_PURPOSE, blob, { aad: Buffer.from(doc.kid) });
    expect(opened.toString()).toBe(plaintexts.get(`${doc._id}/sealedPrivateKey`));
  }
  return versions;
}

const suite = operatorSuite({
  prefix: 'oprw-',
  settings: { KEY_REWRAP_SETTLE_MS: String(SETTLE_MS), KEY_REWRAP_BATCH_SIZE: '5' },
  tenants: [{ name: tenant }],
  kinds: 'keyrotationschedules',
  setup: async (op) => {
    signingKeys = op.clients.mongo.client.db(PLATFORM_DATABASE).collection('auth_signing_keys');
    await op.operator.keyring.ensureTenantKey(otherTenant);
    await seedAuthData(tenant, USERS);
    await seedAuthData(otherTenant, 2);
  },
  afterTenantsDeleted: async (op) => {
    const platform = op.clients.mongo.client.db(PLATFORM_DATABASE);
    await signingKeys.deleteMany({ tenant: { $in: [tenant, otherTenant] } });
    await platform
      .collection(REWRAP_PROGRESS_COLLECTION)
      .deleteMany({ tenant: { $in: [tenant, otherTenant] } });
    await platform.collection(KEYS_COLLECTION).deleteMany({ tenant: otherTenant });
    await op.clients.mongo.client.db(mongoDatabaseName(otherTenant)).dropDatabase();
  },
  setupTimeoutMs: 150_000,
  cleanupTimeoutMs: 120_000,
});
const { namespace } = suite;
suite.track(otherTenant);

describe('KeyRotationSchedule rewrapPolicy Background', { timeout: 180_000 }, () => {
  it('re-wraps every stored ciphertext after a rotation, reports progress, then retires the old version', async () => {
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      `apiVersion: parley.dev/v1alpha1\nkind: KeyRotationSchedule\nmetadata:\n  name: ${name}\nspec:\n  tenantRef: {name: ${tenant}}\n  period: 720h\n  rewrapPolicy: Background\n  versionsKept: 1\n`,
    );
    await waitForCondition(namespace, `keyrotationschedule/${name}`, 'Rewrap', 'True');
    expect((await krs())?.status).toMatchObject({
      currentVersion: 1,
      minDecryptionVersion: 1,
      rewrap: { state: 'Done', completedVersion: 1 },
    });

    await forceRotate(namespace, name, 'rw1');
    // The pass that starts with the rotation re-wraps everything, but cannot prove that no writer
    // still sealed under version 1 from its cache: it waits for a verification pass, and the
    // minimum decryption version waits with it (versionsKept 1 would retire version 1 at once).
    // One snapshot of the object, so status and conditions are read from the same moment.
    const midway = await waitFor('the rewrap to verify', async () => {
      const seen = await krs();
      const rewrap = seen?.status?.conditions?.find((c) => c.type === 'Rewrap');
      return rewrap?.reason === 'Verifying' ? seen?.status : undefined;
    });
    const condition = (type: string) => midway.conditions?.find((c) => c.type === type);
    expect(condition('Rewrap')).toMatchObject({
      status: 'False',
      message: expect.stringContaining('pass 2'),
    });
    expect(midway).toMatchObject({
      currentVersion: 2,
      minDecryptionVersion: 1,
      rewrap: { state: 'Waiting', targetVersion: 2, pass: 1, rewrapped: USERS + 2, remaining: 0 },
    });
    // Every declared field is reported, in declaration order (messaging's too: this tenant has no
    // messages, so theirs count 0); auth's hold what the test wrote, all rewrapped.
    expect(midway.rewrap?.fields?.map((field) => field.id)).toEqual(
      ENCRYPTED_FIELDS.map((field) => field.id),
    );
    expect(midway.rewrap?.fields?.every((field) => field.remaining === 0)).toBe(true);
    expect(midway.rewrap?.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'auth.users.totp.sealedSecret', total: 8, rewrapped: 8, remaining: 0 }),
        expect.objectContaining({
          id: 'auth.users.totpPending.sealedSecret',
          total: 4,
          rewrapped: 4,
          remaining: 0,
        }),
        expect.objectContaining({
          id: 'auth.auth_signing_keys.sealedPrivateKey',
          total: 2,
          rewrapped: 2,
          remaining: 0,
        }),
      ]),
    );
    expect(condition('MinDecryptionVersion')).toMatchObject({ status: 'False', reason: 'WaitingForRewrap' });
    expect(condition('Ready')).toMatchObject({ status: 'True' });

    await waitForCondition(namespace, `keyrotationschedule/${name}`, 'Rewrap', 'True', SETTLE_MS + 60_000);
    await waitFor('the minimum to rise', async () => (await krs())?.status?.minDecryptionVersion === 2);
    expect((await krs())?.status?.rewrap).toMatchObject({
      state: 'Done',
      targetVersion: 2,
      completedVersion: 2,
      pass: 2,
      rewrapped: USERS + 2,
      failed: 0,
    });
    expect(new Set(await storedVersions(tenant))).toEqual(new Set([2]));
    expect(await storedVersions(tenant)).toHaveLength(USERS + 2);
    // Another tenant's ciphertexts, in the same platform collection, stayed where they were.
    expect(new Set(await storedVersions(otherTenant))).toEqual(new Set([1]));

    // The minimum rose only after the rewrap had completed.
    const platform = suite.op.clients.mongo.client.db(PLATFORM_DATABASE);
    const progress = await platform
      .collection<RewrapProgress>(REWRAP_PROGRESS_COLLECTION)
      .findOne({ _id: `${tenant}/default` });
    const raised = await platform
      .collection(KEYS_COLLECTION)
      .findOne({ tenant, keyName: 'default', record: 'minimum' });
    expect(raised?.minDecryptionVersion).toBe(2);
    expect(progress?.completedAt?.getTime()).toBeLessThanOrEqual(new Date(raised?.createdAt).getTime());
  });

  it('changes nothing when reconciled again', async () => {
    const tenantUsers = suite.op.clients.mongo.client.db(mongoDatabaseName(tenant)).collection('users');
    const before = await tenantUsers.find().sort({ _id: 1 }).toArray();
    const keysBefore = await signingKeys.find({ tenant }).sort({ _id: 1 }).toArray();
    const statusBefore = (await krs())?.status?.rewrap;
    // Another replica's reconciler, alongside the operator's own resyncs (every 2 s in tests).
    const kube = connectKube(suite.op.config.KUBECONFIG);
    const reconciler = buildKeyRotationScheduleReconciler({
      kube,
      keyring: suite.op.operator.keyring,
      events: createEventRecorder(kube, 'parley.dev/operator', 'rerun', createSilentLogger()),
      mongo: suite.op.clients.mongo.client,
      logger: createSilentLogger(),
      config: suite.op.config,
    });
    for (let i = 0; i < 2; i++) await reconciler.reconcile({ namespace, name });
    expect(await tenantUsers.find().sort({ _id: 1 }).toArray()).toEqual(before);
    expect(await signingKeys.find({ tenant }).sort({ _id: 1 }).toArray()).toEqual(keysBefore);
    expect((await krs())?.status?.rewrap).toEqual(statusBefore);
    expect((await krs())?.status).toMatchObject({ currentVersion: 2, minDecryptionVersion: 2 });
  });

  it('keeps the old version able to decrypt when a stored ciphertext cannot be re-wrapped', async () => {
    const tenantUsers = suite.op.clients.mongo.client.db(mongoDatabaseName(tenant)).collection('users');
    const victim = `${tenant}-u0`;
    const user = await tenantUsers.findOne({ _id: victim as never });
    const tampered = Buffer.from(user?.totp.sealedSecret, 'base64');
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    await tenantUsers.updateOne(
      { _id: victim as never },
      { $set: { 'totp.sealedSecret': tampered.toString('base64') } },
    );

    await forceRotate(namespace, name, 'rw2');
    const failed = await waitFor('the rewrap to report the failure', async () => {
      const seen = await krs();
      const rewrap = seen?.status?.conditions?.find((c) => c.type === 'Rewrap');
      return rewrap?.reason === 'RewrapFailed' ? seen?.status : undefined;
    });
    expect(failed.conditions?.find((c) => c.type === 'Rewrap')?.message).toContain(
      `auth.users.totp.sealedSecret ${victim}: decryption-failed`,
    );
    expect(failed).toMatchObject({
      currentVersion: 3,
      minDecryptionVersion: 2,
      rewrap: { state: 'Failed', targetVersion: 3, completedVersion: 2, failed: 1, rewrapped: USERS + 1 },
    });
    // versionsKept 1 asks for version 3 only; version 2 stays while something is known to be left.
    expect(failed.conditions?.find((c) => c.type === 'MinDecryptionVersion')).toMatchObject({
      status: 'False',
      reason: 'WaitingForRewrap',
    });
  });
});
