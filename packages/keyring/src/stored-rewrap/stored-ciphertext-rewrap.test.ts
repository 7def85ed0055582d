/**
 * The background rewrap against the real Mongo-wire server: a tenant's stored ciphertexts (sealed
 * payloads with AAD in the tenant's database, envelopes in a platform collection shared with
 * another tenant) move to the new primary batch by batch, decrypt afterwards, keep their
 * payloads, are resumable and idempotent, and never overwrite a concurrent write.
 */
import { randomUUID } from 'node:crypto';
import type { EncryptedFieldDeclaration } from '@parley/contracts';
import { ciphertextKeyVersion, EnvelopeSealer, openEnvelope, parseEnvelope } from '@parley/envelope';
import { createSilentLogger } from '@parley/kit/testing';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyring } from '../keyring.ts';
import { type KeyringFixture, openKeyringFixture } from '../testing/keyring-fixture.ts';
import type { RewrapProgress } from './rewrap-progress.ts';
import { StoredCiphertextRewrap, type StoredRewrapOptions } from './stored-ciphertext-rewrap.ts';

const SECRET_PURPOSE = 'test.secret';
const ENVELOPE_PURPOSE = 'test.envelope';
const platformCollection = `rewrap_test_${randomUUID().slice(0, 8)}`;

const FIELDS: EncryptedFieldDeclaration[] = [
  {
    id: 'test.secrets.sealed.value',
    owner: 'test',
    database: 'tenant',
    collection: 'secrets',
    field: 'sealed.value',
    purpose: SECRET_PURPOSE,
    aadField: '_id',
  },
  {
    id: `test.${platformCollection}.envelope`,
    owner: 'test',
    database: 'platform',
    collection: platformCollection,
    field: 'envelope',
    purpose: ENVELOPE_PURPOSE,
    tenantField: 'tenant',
  },
];

let fx: KeyringFixture;
const tenantsMade: string[] = [];

beforeAll(async () => {
  fx = await openKeyringFixture();
});
afterAll(async () => {
  for (const tenant of tenantsMade) await fx.mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
  await fx?.close(); // drops the fixture's database: keys, progress and the platform collection
});

interface Seeded {
  tenant: string;
  keyring: Keyring;
  secrets: Collection<Document>;
  envelopes: Collection<Document>;
  /** What each document's secret and envelope were sealed from, by user id. */
  plaintexts: Map<string, string>;
  envelopePlaintexts: Map<string, string>;
}

/** A tenant with `count` sealed secrets (one doc in five has none) and `count` envelopes, at version 1. */
async function seed(count: number): Promise<Seeded> {
  const tenant = fx.uniqueTenant('rw');
  tenantsMade.push(tenant);
  const keyring = fx.keyring();
  await keyring.ensureTenantKey(tenant);
  const secrets = fx.mongo.client.db(mongoDatabaseName(tenant)).collection<Document>('secrets');
  const envelopes = fx.db.collection<Document>(platformCollection);
  const plaintexts = new Map<string, string>();
  const envelopePlaintexts = new Map<string, string>();
  const dataKey = await keyring.generateDataKey(tenant, ENVELOPE_PURPOSE);
  const sealer = new EnvelopeSealer({
    tenant,
    purpose: ENVELOPE_PURPOSE,
    dataKey: dataKey.plaintext,
    wrappedDataKey: dataKey.wrapped,
  });
  for (let i = 0; i < count; i++) {
    const id = `u${String(i).padStart(4, '0')}`;
    const secret = `secret-${i}-${randomUUID()}`;
    plaintexts.set(id, secret);
    envelopePlaintexts.set(id, secret);
    if (i % 5 === 4) await secrets.insertOne({ _id: id as never, name: 'no secret' });
    else {
      const sealed = await keyring.encrypt(tenant, SECRET_PURPOSE, Buffer.from(secret), {
        aad: Buffer.from(id),
      });
      await secrets.insertOne({ _id: id as never, sealed: { value: sealed.toString('base64') } });
    }
    await envelopes.insertOne({
      _id: `${tenant}/${id}` as never,
      tenant,
      envelope: sealer.seal(Buffer.from(secret)).toString('base64'),
    });
  }
  return { tenant, keyring, secrets, envelopes, plaintexts, envelopePlaintexts };
}

function rewrapper(s: Seeded, options: Partial<StoredRewrapOptions> = {}): StoredCiphertextRewrap {
  return new StoredCiphertextRewrap({
    client: fx.mongo.client,
    platformDb: fx.db,
    keyring: s.keyring,
    fields: FIELDS,
    logger: createSilentLogger(),
    batchSize: 7,
    settleMs: 0,
    ...options,
  });
}

async function runToEnd(job: StoredCiphertextRewrap, tenant: string): Promise<RewrapProgress> {
  for (let i = 0; i < 100; i++) {
    const progress = await job.advance(tenant, 'default', { budgetMs: 0 });
    if (progress.state !== 'Running') return progress;
  }
  throw new Error('the rewrap did not finish in 100 batches');
}

/** Every stored ciphertext's version, and that each still opens to what was sealed. */
async function storedVersions(s: Seeded): Promise<number[]> {
  const versions: number[] = [];
  for (const doc of await s.secrets.find({ sealed: { $exists: true } }).toArray()) {
    const blob = Buffer.from(doc.sealed.value, 'base64');
    versions.push(ciphertextKeyVersion(blob).version);
    const opened = await s.keyring.decrypt(s.tenant, SECRET_PURPOSE, blob, {
      aad: Buffer.from(String(doc._id)),
    });
    expect(opened.toString()).toBe(s.plaintexts.get(String(doc._id)));
  }
  for (const doc of await s.envelopes.find({ tenant: s.tenant }).toArray()) {
    const blob = Buffer.from(doc.envelope, 'base64');
    versions.push(ciphertextKeyVersion(blob).version);
    const dataKey = await s.keyring.decryptDataKey(
      s.tenant,
      ENVELOPE_PURPOSE,
      parseEnvelope(blob).wrappedDataKey,
    );
    const opened = openEnvelope(dataKey, blob, s.tenant, ENVELOPE_PURPOSE);
    expect(opened.toString()).toBe(s.envelopePlaintexts.get(String(doc._id).split('/')[1] ?? ''));
  }
  return versions;
}

describe('StoredCiphertextRewrap', { timeout: 120_000 }, () => {
  it('moves every stored ciphertext to the new primary, batch by batch, payloads intact, and reports it', async () => {
    const s = await seed(20);
    const other = await seed(3); // another tenant's envelopes share the platform collection
    const otherBefore = await other.envelopes.find({ tenant: other.tenant }).sort({ _id: 1 }).toArray();
    const envelopesBefore = await s.envelopes.find({ tenant: s.tenant }).sort({ _id: 1 }).toArray();
    await s.keyring.rotate(s.tenant, 'default');

    const progress = await runToEnd(rewrapper(s), s.tenant);
    expect(progress).toMatchObject({ state: 'Done', targetVersion: 2, completedVersion: 2, pass: 1 });
    expect(progress.rewrappedForTarget).toBe(16 + 20);
    expect(progress.fields).toEqual([
      expect.objectContaining({
        id: FIELDS[0]?.id,
        total: 16,
        examined: 16,
        rewrapped: 16,
        failed: 0,
        finished: true,
      }),
      expect.objectContaining({
        id: FIELDS[1]?.id,
        total: 20,
        examined: 20,
        rewrapped: 20,
        failed: 0,
        finished: true,
      }),
    ]);
    const versions = await storedVersions(s);
    expect(versions).toHaveLength(36);
    expect(new Set(versions)).toEqual(new Set([2]));

    // Envelopes: only the wrapped data key changed; nonce, payload and tag are the same bytes.
    const after = await s.envelopes.find({ tenant: s.tenant }).sort({ _id: 1 }).toArray();
    expect(after).toHaveLength(20); // the loop below compares every one of them, never none
    for (const [i, doc] of after.entries()) {
      const before = Buffer.from(envelopesBefore[i]?.envelope, 'base64');
      const now = Buffer.from(doc.envelope, 'base64');
      expect(now.subarray(parseEnvelope(now).bodyOffset)).toEqual(
        before.subarray(parseEnvelope(before).bodyOffset),
      );
      expect(now.equals(before)).toBe(false);
    }
    // The other tenant's documents were not touched.
    expect(await other.envelopes.find({ tenant: other.tenant }).sort({ _id: 1 }).toArray()).toEqual(
      otherBefore,
    );
  });

  it('is idempotent on re-run and resumes a pass another process left half done', async () => {
    const s = await seed(15);
    await s.keyring.rotate(s.tenant, 'default');
    // One process does one batch and stops (crash after saving its cursor)...
    const first = rewrapper(s);
    const batch = await first.prepareBatch(s.tenant, 'default');
    if (!batch) throw new Error('expected a running pass');
    const half = await first.commitBatch(batch);
    expect(half.state).toBe('Running');
    expect(half.fields[0]).toMatchObject({ examined: 7, finished: false });
    // ...another carries on from the cursor.
    const done = await runToEnd(rewrapper(s), s.tenant);
    expect(done).toMatchObject({ state: 'Done', completedVersion: 2, pass: 1, rewrappedForTarget: 12 + 15 });
    const snapshot = await s.secrets.find().sort({ _id: 1 }).toArray();

    // Run again: nothing to do, nothing written, the same report.
    const again = await runToEnd(rewrapper(s), s.tenant);
    expect(again).toEqual(done);
    expect(await s.secrets.find().sort({ _id: 1 }).toArray()).toEqual(snapshot);

    // The next rotation starts over towards version 3, keeping what version 2 proved.
    await s.keyring.rotate(s.tenant, 'default');
    const job = rewrapper(s);
    const started = await job.advance(s.tenant, 'default', { budgetMs: 0 });
    expect(started).toMatchObject({ targetVersion: 3, completedVersion: 2 });
    expect(await runToEnd(job, s.tenant)).toMatchObject({ state: 'Done', completedVersion: 3 });
    expect(new Set(await storedVersions(s))).toEqual(new Set([3]));
  });

  it('never overwrites a concurrent write (compare-and-set on the ciphertext it read)', async () => {
    const s = await seed(5);
    // A writer in another process whose key cache was filled before the rotation.
    const staleWriter = fx.keyring({ cacheTtlMs: 600_000 });
    await staleWriter.encrypt(s.tenant, SECRET_PURPOSE, Buffer.from('warm'), { aad: Buffer.from('x') });
    await s.keyring.rotate(s.tenant, 'default');
    const job = rewrapper(s);
    const batch = await job.prepareBatch(s.tenant, 'default');
    expect(batch?.rewrites.map((r) => r.id)).toEqual(['u0000', 'u0001', 'u0002', 'u0003']);
    if (!batch) return;

    // Between the job's read and its write, one user re-enrols (a new secret, under version 2)...
    const fresh = `re-enrolled-${randomUUID()}`;
    const sealed = (
      await s.keyring.encrypt(s.tenant, SECRET_PURPOSE, Buffer.from(fresh), { aad: Buffer.from('u0001') })
    ).toString('base64');
    await s.secrets.updateOne({ _id: 'u0001' as never }, { $set: { 'sealed.value': sealed } });
    s.plaintexts.set('u0001', fresh);
    // ...and another re-enrols through the stale writer, which still seals under version 1.
    const stale = `stale-${randomUUID()}`;
    const staleSealed = (
      await staleWriter.encrypt(s.tenant, SECRET_PURPOSE, Buffer.from(stale), { aad: Buffer.from('u0002') })
    ).toString('base64');
    expect(ciphertextKeyVersion(Buffer.from(staleSealed, 'base64')).version).toBe(1);
    await s.secrets.updateOne({ _id: 'u0002' as never }, { $set: { 'sealed.value': staleSealed } });
    s.plaintexts.set('u0002', stale);

    const committed = await job.commitBatch(batch);
    expect(committed.fields[0]).toMatchObject({ rewrapped: 2, conflicts: 1, current: 1 });
    // Both concurrent writes stand: neither was replaced by the job's rewrap of the old secret.
    expect((await s.secrets.findOne({ _id: 'u0001' as never }))?.sealed.value).toBe(sealed);
    expect((await s.secrets.findOne({ _id: 'u0002' as never }))?.sealed.value).toBe(staleSealed);

    // The unresolved conflict makes the pass unclean; the next pass moves the stale write.
    const firstPass = await runToEnd(job, s.tenant);
    expect(firstPass).toMatchObject({ state: 'Waiting', pass: 1 });
    expect(firstPass.completedVersion).toBeUndefined();
    const secondPass = await runToEnd(job, s.tenant);
    expect(secondPass).toMatchObject({ state: 'Done', pass: 2, completedVersion: 2 });
    expect(secondPass.fields[0]).toMatchObject({ rewrapped: 1 });
    expect(new Set(await storedVersions(s))).toEqual(new Set([2]));
  });

  it('completes only with a pass that started after writers’ caches settled', async () => {
    const s = await seed(3);
    await s.keyring.rotate(s.tenant, 'default');
    let offsetMs = 0;
    const job = rewrapper(s, { settleMs: 60_000, now: () => new Date(Date.now() + offsetMs) });
    const first = await runToEnd(job, s.tenant);
    expect(first).toMatchObject({ state: 'Waiting', pass: 1, rewrappedForTarget: 6 });
    expect(first.completedVersion).toBeUndefined();
    expect(first.nextPassAt).toEqual(first.settledAt);
    // Still before the settle time: no new pass.
    expect(await job.advance(s.tenant, 'default', { budgetMs: 0 })).toMatchObject({
      state: 'Waiting',
      pass: 1,
    });
    offsetMs = 61_000;
    const second = await runToEnd(job, s.tenant);
    expect(second).toMatchObject({ state: 'Done', pass: 2, completedVersion: 2, rewrappedForTarget: 6 });
  });

  it('reports ciphertexts it cannot re-wrap by id and error code, and retries later', async () => {
    const s = await seed(3);
    await s.keyring.rotate(s.tenant, 'default');
    const tampered = Buffer.from(
      (await s.secrets.findOne({ _id: 'u0001' as never }))?.sealed.value,
      'base64',
    );
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    await s.secrets.updateOne(
      { _id: 'u0001' as never },
      { $set: { 'sealed.value': tampered.toString('base64') } },
    );
    const failed = await runToEnd(rewrapper(s), s.tenant);
    expect(failed).toMatchObject({
      state: 'Failed',
      failures: [{ field: FIELDS[0]?.id, id: 'u0001', code: 'decryption-failed' }],
    });
    expect(failed.completedVersion).toBeUndefined();
    expect(failed.nextPassAt?.getTime()).toBeGreaterThan(Date.now());
    expect(failed.fields[0]).toMatchObject({ rewrapped: 2, failed: 1 });
  });

  it('lets one runner at a time work on a key: two at once do the work once and report all of it', async () => {
    const s = await seed(40); // 32 sealed secrets and 40 envelopes below the new primary
    await s.keyring.rotate(s.tenant, 'default');
    const run = async (job: StoredCiphertextRewrap): Promise<RewrapProgress[]> => {
      const seen: RewrapProgress[] = [];
      for (let i = 0; i < 2_000; i++) {
        const progress = await job.advance(s.tenant, 'default', { budgetMs: 0 });
        seen.push(progress);
        if (progress.state === 'Done') return seen;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error('the rewrap did not finish');
    };
    const [a, b] = await Promise.all([run(rewrapper(s)), run(rewrapper(s))]);
    const saved = await rewrapper(s).progress(s.tenant, 'default');
    expect(saved).toMatchObject({ state: 'Done', completedVersion: 2, pass: 1, rewrappedForTarget: 32 + 40 });
    expect(saved?.fields.map((f) => f.examined)).toEqual([32, 40]);
    // Neither runner ever saw the work counted twice or a pass begun again.
    for (const progress of [...a, ...b]) {
      expect(progress.pass).toBeLessThanOrEqual(1); // 0: the other held the lease before any progress was saved
      expect(progress.rewrappedForTarget).toBeLessThanOrEqual(32 + 40);
    }
    expect(new Set(await storedVersions(s))).toEqual(new Set([2]));
  });

  it('lets another runner take over a lease whose holder stalled; the stalled one writes nothing', async () => {
    const s = await seed(10);
    await s.keyring.rotate(s.tenant, 'default');
    const stalled = rewrapper(s, { leaseMs: 500 });
    const batch = await stalled.prepareBatch(s.tenant, 'default');
    if (!batch) throw new Error('expected a running pass');
    // While the lease is live, another runner does nothing.
    expect(await rewrapper(s, { leaseMs: 500 }).prepareBatch(s.tenant, 'default')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const done = await runToEnd(rewrapper(s, { leaseMs: 500 }), s.tenant);
    expect(done).toMatchObject({ state: 'Done', completedVersion: 2, rewrappedForTarget: 8 + 10 });
    await expect(stalled.commitBatch(batch)).rejects.toThrow(/lease/);
    expect(await stalled.progress(s.tenant, 'default')).toEqual(done);
  });
});
