// Integration: the audit log on the real Mongo-wire server (FerretDB locally), one fresh tenant per run.
import { randomUUID } from 'node:crypto';
import type { AuditRecordInput } from '@parley/contracts';
import { mongoDatabaseName } from '@parley/tenancy';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditIntegrityError, AuditLog } from './audit-log.ts';
import { generateSigningKeyPem, type SigningKey, signingKeyFromPem } from './checkpoint/signing-key.ts';
import type { PersonalDataSealer } from './personal-data-sealer.ts';
import { PRUNE_ACTION } from './prune/prune-record.ts';
import { computeRecordHash } from './record/audit-record.ts';
import { verifyProofBundle } from './verify/proof-bundle.ts';

const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) throw new Error('MONGO_URL is not set: run through vitest with the stack global setup');

// Sealing is not under test here (the compliance service's test uses the real keyring); this
// reversible stand-in only lets records carry personal entries.
const sealer: PersonalDataSealer = {
  seal: async (_tenant, subject, fields) => ({
    subject,
    keyName: `subject:${subject}`,
    ciphertext: Buffer.from(JSON.stringify(fields)).toString('base64'),
  }),
  adopt: async (_tenant, entry) => entry,
  open: async (_tenant, entry) => JSON.parse(Buffer.from(entry.ciphertext, 'base64').toString()),
};

function input(action = 'auth.login.succeeded', actorId = 'u-1'): AuditRecordInput {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    actor: { type: 'user', id: actorId },
    action,
    resource: { type: 'session', id: randomUUID() },
    outcome: 'success',
    metadata: { mfa: true, attempts: 1 },
    personal: [{ subject: actorId, fields: { ip: '192.0.2.1' } }],
  };
}

let client: MongoClient;
let key: SigningKey;
const tenants: string[] = [];
const keys = () => new Map([[key.keyId, key.publicKey]]);

async function freshLog(): Promise<AuditLog> {
  const tenant = `ac${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  tenants.push(tenant);
  return AuditLog.open({ client, tenant, signingKey: key, sealer });
}

beforeAll(async () => {
  client = await new MongoClient(mongoUrl).connect();
  key = signingKeyFromPem(generateSigningKeyPem());
});

afterAll(async () => {
  for (const tenant of tenants) await client.db(mongoDatabaseName(tenant)).dropDatabase();
  await client.close();
});

describe('AuditLog on Mongo', () => {
  it('appends a hash chain, signs checkpoints and proves records and history offline', async () => {
    const log = await freshLog();
    const first = await log.append(
      Array.from({ length: 5 }, () => input()),
      'auth',
    );
    expect(first.map((o) => o.sequence)).toEqual([0, 1, 2, 3, 4]);
    const cp5 = await log.checkpoint({ force: true });
    expect(cp5?.treeSize).toBe(5);
    await log.append(
      Array.from({ length: 8 }, () => input('messaging.message.deleted', 'u-2')),
      'messaging',
    );
    // Not due yet by the policy (8 < 10 records, recent), then due by size.
    expect(await log.checkpoint({ policy: { everyRecords: 10, everyMs: 60_000 } })).toBeUndefined();
    await log.append([input(), input()], 'auth');
    const cp15 = await log.checkpoint({ policy: { everyRecords: 10, everyMs: 60_000 } });
    expect(cp15?.treeSize).toBe(15);

    const verification = await log.verify(keys());
    expect(verification).toMatchObject({
      ok: true,
      records: 15,
      treeSize: 15,
      checkpointsVerified: 2,
      problems: [],
    });
    expect(verification.rootHash).toBe(cp15?.rootHash);

    const bundle = JSON.parse(JSON.stringify(await log.proofBundle([0, 3, 7, 14], 5)));
    const result = await verifyProofBundle(bundle, keys());
    expect(result.ok).toBe(true);
    expect(result.checks.filter((c) => c.what.startsWith('record'))).toHaveLength(4);
    expect(result.checks.some((c) => c.what === 'consistency 5 -> 15' && c.ok)).toBe(true);

    // The same bundle with one record's content altered fails, as does a forged checkpoint.
    const altered = structuredClone(bundle);
    altered.inclusion[1].record.action = 'auth.login.failed';
    expect((await verifyProofBundle(altered, keys())).ok).toBe(false);
    const forged = structuredClone(bundle);
    forged.checkpoints[0].rootHash = 'f'.repeat(64);
    expect((await verifyProofBundle(forged, keys())).ok).toBe(false);
  });

  it('signs a checkpoint when the last one is older than the policy allows, if records arrived since', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const tenant = `at${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    tenants.push(tenant);
    const log = await AuditLog.open({ client, tenant, signingKey: key, sealer, clock: () => now });
    const policy = { everyRecords: 1000, everyMs: 60_000 };
    await log.append([input()], 'auth');
    expect((await log.checkpoint({ policy }))?.treeSize).toBe(1); // the first one at once
    await log.append([input(), input()], 'auth');
    now = new Date('2026-01-01T00:00:30Z');
    expect(await log.checkpoint({ policy })).toBeUndefined(); // 2 records, 30 s: not due
    now = new Date('2026-01-01T00:01:01Z');
    expect((await log.checkpoint({ policy }))?.treeSize).toBe(3); // 61 s: due by time
    now = new Date('2026-01-01T00:05:00Z');
    expect((await log.checkpoint({ policy }))?.treeSize).toBe(3); // nothing new: the same one
    expect(await log.listCheckpoints()).toHaveLength(2);
  });

  it('appends each record id once, however often it is delivered', async () => {
    const log = await freshLog();
    const record = input();
    const [a] = await log.append([record, record], 'auth');
    const [b] = await log.append([record], 'auth');
    expect(a).toMatchObject({ sequence: 0, duplicate: false });
    expect(b).toMatchObject({ sequence: 0, duplicate: true });
    expect(await log.collections.records.countDocuments()).toBe(1);
  });

  it('keeps one valid chain when several writers append at once', async () => {
    const first = await freshLog();
    const tenant = first.tenant;
    const writers = [
      first,
      ...(await Promise.all([1, 2, 3].map(() => AuditLog.open({ client, tenant, signingKey: key, sealer })))),
    ];
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let batch = 0; batch < 5; batch += 1) {
          await writer.append(
            Array.from({ length: 1 + ((w + batch) % 4) }, () => input()),
            `writer-${w}`,
          );
        }
      }),
    );
    const expected = [0, 1, 2, 3].reduce(
      (sum, w) => sum + [0, 1, 2, 3, 4].reduce((s, b) => s + 1 + ((w + b) % 4), 0),
      0,
    );
    const sequences = (
      await first.collections.records
        .find({}, { projection: { sequence: 1 } })
        .sort({ sequence: 1 })
        .toArray()
    ).map((d) => d.sequence);
    expect(sequences).toEqual(Array.from({ length: expected }, (_, i) => i));
    await writers[2]?.checkpoint({ force: true });
    const verification = await first.verify(keys());
    expect(verification.problems).toEqual([]);
    expect(verification.records).toBe(expected);
  });

  describe('detects tampering', () => {
    async function loggedTen(): Promise<AuditLog> {
      const log = await freshLog();
      await log.append(
        Array.from({ length: 10 }, (_, i) => input(i % 2 ? 'auth.login.failed' : 'auth.login.succeeded')),
        'auth',
      );
      await log.checkpoint({ force: true });
      return log;
    }

    it('an edited record', async () => {
      const log = await loggedTen();
      await log.collections.records.updateOne({ sequence: 4 }, { $set: { outcome: 'failure' } });
      const result = await log.verify(keys());
      expect(result.ok).toBe(false);
      expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'edited', sequence: 4 }));
    });

    it('an edited personal ciphertext', async () => {
      const log = await loggedTen();
      await log.collections.records.updateOne({ sequence: 2 }, { $set: { 'personal.0.ciphertext': 'AAAA' } });
      expect((await log.verify(keys())).problems).toContainEqual(
        expect.objectContaining({ kind: 'edited', sequence: 2 }),
      );
    });

    it('an edit whose hash was recomputed to hide it', async () => {
      const log = await loggedTen();
      const doc = await log.collections.records.findOne({ sequence: 6 });
      if (!doc || 'pruned' in doc) throw new Error('record 6 missing');
      const edited = { ...doc, action: 'auth.login.failed', outcome: 'failure' as const };
      await log.collections.records.updateOne(
        { sequence: 6 },
        { $set: { action: edited.action, outcome: edited.outcome, hash: computeRecordHash(edited) } },
      );
      const kinds = (await log.verify(keys())).problems.map((p) => p.kind);
      expect(kinds).toContain('broken-link');
      expect(kinds).toContain('checkpoint-mismatch');
    });

    it('a deleted record', async () => {
      const log = await loggedTen();
      await log.collections.records.deleteOne({ sequence: 3 });
      const problems = (await log.verify(keys())).problems;
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'missing', sequence: 3 }));
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'broken-link', sequence: 4 }));
    });

    it('reordered records', async () => {
      const log = await loggedTen();
      // Swap records 5 and 6 by exchanging their sequence numbers (through a free number).
      await log.collections.records.updateOne({ sequence: 5 }, { $set: { sequence: 1000 } });
      await log.collections.records.updateOne({ sequence: 6 }, { $set: { sequence: 5 } });
      await log.collections.records.updateOne({ sequence: 1000 }, { $set: { sequence: 6 } });
      const problems = (await log.verify(keys())).problems;
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'edited', sequence: 5 }));
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'broken-link', sequence: 5 }));
    });

    it('a truncated tail, against the signed checkpoint', async () => {
      const log = await loggedTen();
      await log.collections.records.deleteMany({ sequence: { $gte: 7 } });
      const result = await log.verify(keys());
      // Nothing inside the remaining chain is wrong: only the checkpoint reveals the cut.
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'truncated', treeSize: 10 })]);
      // And a fresh writer refuses to sign over the shortened log.
      const other = await AuditLog.open({ client, tenant: log.tenant, signingKey: key, sealer });
      await other.append([input(), input(), input(), input()], 'auth');
      await expect(other.checkpoint({ force: true })).rejects.toThrow(AuditIntegrityError);
    });

    it('a checkpoint signed by another key', async () => {
      const log = await loggedTen();
      const stranger = signingKeyFromPem(generateSigningKeyPem());
      const result = await log.verify(new Map([[stranger.keyId, stranger.publicKey]]));
      expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'unknown-key' }));
    });
  });
});

describe('audit retention', () => {
  it('prunes exactly the expired, unheld records and the chain and proofs still verify', async () => {
    const { runPurge, HoldSet } = await import('@parley/retention');
    const { AuditPurgeTarget } = await import('./audit-purge-target.ts');
    let now = new Date('2020-01-01T00:00:00Z');
    const tenant = `ar${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    tenants.push(tenant);
    const log = await AuditLog.open({ client, tenant, signingKey: key, sealer, clock: () => now });
    await log.append(
      [
        input('auth.login.succeeded', 'alice'),
        input('auth.login.succeeded', 'bob'),
        input('auth.login.succeeded', 'carol'),
      ],
      'auth',
    );
    now = new Date('2020-03-01T00:00:00Z');
    await log.append([input('auth.login.succeeded', 'alice'), input('auth.login.succeeded', 'bob')], 'auth');
    await log.checkpoint({ force: true });
    now = new Date('2020-03-02T00:00:00Z');
    const bobHold = {
      id: 'h-bob',
      scope: { kind: 'person' as const, userId: 'bob' },
      reason: 'case 7',
      setBy: 'counsel',
      setAt: now.toISOString(),
    };
    const holds = new HoldSet([bobHold]);
    const run = await runPurge(
      { name: 'default', dryRun: false, rules: [{ resource: 'audit', maxAgeSeconds: 30 * 86_400 }] },
      {
        tenant,
        targets: { audit: new AuditPurgeTarget(log, () => now) },
        holds: async () => holds,
        now,
        pauseMs: 0,
        batchSize: 2,
      },
    );
    expect(run.counts.audit).toEqual({ examined: 3, deleted: 2, skippedHeld: 1, wouldDelete: 0 });
    const pruned = await log.collections.records.find({ pruned: true }).sort({ sequence: 1 }).toArray();
    expect(pruned.map((r) => r.sequence)).toEqual([0, 2]);
    expect(pruned[0]).not.toHaveProperty('personal');
    expect(pruned[0]).not.toHaveProperty('actor');
    // Each batch's prune is itself a hashed record naming what it pruned (batches of 2: two).
    const prunes = await log.listRecords({ action: PRUNE_ACTION });
    expect(prunes.map((r) => ('metadata' in r ? r.metadata.sequences : undefined))).toEqual([[0], [2]]);
    expect(pruned.map((r) => ('prunedBy' in r ? r.prunedBy : undefined))).toEqual(
      prunes.map((r) => r.sequence),
    );
    const verification = await log.verify(keys());
    expect(verification).toMatchObject({ ok: true, records: 7, pruned: 2, problems: [] });
    // A pruned record's proof carries the prune record that vouches for it.
    const bundle = JSON.parse(JSON.stringify(await log.proofBundle([0, 1, 4])));
    const result = await verifyProofBundle(bundle, keys());
    expect(result.ok).toBe(true);
    expect(result.checks).toContainEqual(
      expect.objectContaining({ what: 'record 0 pruned by retention', ok: true }),
    );
    // A second run finds nothing more to prune and appends no more prune records.
    const again = await runPurge(
      { name: 'default', dryRun: false, rules: [{ resource: 'audit', maxAgeSeconds: 30 * 86_400 }] },
      {
        tenant,
        targets: { audit: new AuditPurgeTarget(log, () => now) },
        holds: async () => holds,
        now,
        pauseMs: 0,
      },
    );
    expect(again.counts.audit?.deleted).toBe(0);
    expect(await log.listRecords({ action: PRUNE_ACTION })).toHaveLength(2);
  });

  describe('setting pruned on a record does not hide an edit', () => {
    async function prunedLog() {
      const log = await freshLog();
      await log.append(
        Array.from({ length: 6 }, () => input()),
        'auth',
      );
      await log.checkpoint({ force: true });
      return log;
    }

    it('an edited record marked pruned is re-hashed and reported', async () => {
      const log = await prunedLog();
      // Before, the verifier skipped the re-hash of any record marked pruned: this edit verified clean.
      await log.collections.records.updateOne(
        { sequence: 3 },
        { $set: { outcome: 'failure', pruned: true } },
      );
      const problems = (await log.verify(keys())).problems;
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'edited', sequence: 3 }));
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'unproved-prune', sequence: 3 }));
      const bundle = JSON.parse(JSON.stringify(await log.proofBundle([3])));
      expect((await verifyProofBundle(bundle, keys())).ok).toBe(false);
    });

    it('a body removed by hand, with no prune record behind it, is reported', async () => {
      const log = await prunedLog();
      await log.collections.records.updateOne(
        { sequence: 2 },
        {
          $set: { pruned: true, prunedAt: new Date().toISOString() },
          $unset: {
            occurredAt: '',
            source: '',
            actor: '',
            action: '',
            resource: '',
            outcome: '',
            metadata: '',
            personal: '',
          },
        },
      );
      const result = await log.verify(keys());
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'unproved-prune', sequence: 2 })]);
      const bundle = JSON.parse(JSON.stringify(await log.proofBundle([2])));
      const verdict = await verifyProofBundle(bundle, keys());
      expect(verdict.ok).toBe(false);
      expect(verdict.checks).toContainEqual(
        expect.objectContaining({ what: 'record 2 pruned by retention', ok: false }),
      );
    });

    it('a producer cannot write the prune action to vouch for a stub', async () => {
      const log = await prunedLog();
      const forged = {
        ...input(),
        action: PRUNE_ACTION,
        metadata: { sequences: [1], hashes: ['0'.repeat(64)] },
      };
      await expect(log.append([forged], 'auth')).rejects.toThrow(/reserved/);
      expect(await log.listRecords({ action: PRUNE_ACTION })).toEqual([]);
    });
  });
});
