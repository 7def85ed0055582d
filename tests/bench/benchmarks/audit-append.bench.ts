/**
 * Audit appends (hash chain, RFC 8785 hashing, ordered insert with duplicate detection, Merkle
 * tree kept up to date, a signed checkpoint every 1000 records) against raw `insertMany` of documents of the same shape and size,
 * at the same batch size, into a collection with the same indexes, on the same Mongo-wire server
 * in the same run. Batches of the two sides are interleaved (which goes first alternates) and the
 * quieter half of the pairs is kept (the machines are shared and noisy), so a burst of load hurts
 * both alike.
 */
import { randomUUID } from 'node:crypto';
import {
  AuditLog,
  ensureAuditIndexes,
  GENESIS_HASH,
  generateSigningKeyPem,
  signingKeyFromPem,
} from '@parley/audit-chain';
import type { AuditRecordInput } from '@parley/contracts';
import { connectMongo, loadConfig, mongoSettings } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { mongoDatabaseName } from '@parley/tenancy';
import { Type } from 'typebox';
import { type Benchmark, type BenchmarkOutcome, runPair } from '../harness.ts';

const BATCH = 100;

function input(n: number): AuditRecordInput {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    actor: { type: 'user', id: `u-${n % 50}` },
    action: 'messaging.message.created',
    resource: { type: 'message', id: randomUUID() },
    outcome: 'success',
    metadata: { conversation: `c-${n % 7}`, bytes: 512, encrypted: true },
  };
}

const benchmark: Benchmark = {
  name: 'audit-append-vs-insert-many',
  goal: '>= 0.7 x raw insertMany of the same documents, batch 100 (records/s)',
  minRatio: 0.7,
  needsStack: true,
  async run(context): Promise<BenchmarkOutcome> {
    const logger = createSilentLogger('bench');
    const mongo = await connectMongo(loadConfig(Type.Object({ ...mongoSettings })).MONGO_URL, logger);
    const tenant = `bench-audit-${randomUUID().slice(0, 6)}`;
    const db = mongo.client.db(mongoDatabaseName(tenant));
    try {
      const signingKey = signingKeyFromPem(generateSigningKeyPem());
      const log = await AuditLog.open({ client: mongo.client, tenant, signingKey });
      const policy = { everyRecords: 1000, everyMs: 60_000 };
      const raw = db.collection('raw_insert_reference');
      // The same indexes as the audit log's records: the comparison isolates the chain's own cost.
      await ensureAuditIndexes({
        records: raw as never,
        checkpoints: db.collection('raw_checkpoints') as never,
        head: db.collection('raw_head') as never,
      });
      let sequence = 0;
      let n = 0;
      const parley = async () => {
        const inputs = Array.from({ length: BATCH }, () => input(n++));
        await log.append(inputs, 'bench');
        await log.checkpoint({ policy }); // as the service does after every append
      };
      const reference = async () => {
        const appendedAt = new Date().toISOString();
        const docs = Array.from({ length: BATCH }, () => {
          const record = input(n++);
          return {
            _id: record.id,
            tenant,
            sequence: sequence++,
            ...record,
            appendedAt,
            source: 'bench',
            metadata: record.metadata ?? {},
            personal: [],
            prevHash: GENESIS_HASH,
            hash: GENESIS_HASH,
          };
        });
        await raw.insertMany(docs as never[], { ordered: true });
      };
      const time = async (op: () => Promise<void>) => {
        const started = performance.now();
        await op();
        return performance.now() - started;
      };
      for (let i = 0; i < 3; i++) {
        await time(parley);
        await time(reference);
      }
      const pairs: { p: number; r: number }[] = [];
      const budgetMs = Math.min(context.roundMs * context.rounds, 8_000);
      let spent = 0;
      while (spent < budgetMs) {
        const [p, r] = await runPair(
          pairs.length,
          () => time(parley),
          () => time(reference),
        );
        const pair = { p, r };
        pairs.push(pair);
        spent += pair.p + pair.r;
      }
      const quieter = pairs
        .sort((a, b) => a.p + a.r - (b.p + b.r))
        .slice(0, Math.max(1, Math.ceil(pairs.length / 2)));
      const records = quieter.length * BATCH;
      const parleyRate = records / (quieter.reduce((t, x) => t + x.p, 0) / 1000);
      const referenceRate = records / (quieter.reduce((t, x) => t + x.r, 0) / 1000);
      // The log must still be one valid chain after the run.
      const verification = await log.verify(new Map([[signingKey.keyId, signingKey.publicKey]]));
      return {
        parley: { label: `AuditLog.append x${BATCH}`, value: parleyRate, unit: 'records/s' },
        reference: { label: `insertMany x${BATCH}`, value: referenceRate, unit: 'records/s' },
        details: {
          batch: BATCH,
          pairs: pairs.length,
          chainRecords: verification.records,
          checkpoints: verification.checkpointsVerified,
          chainOk: String(verification.ok),
        },
      };
    } finally {
      await db.dropDatabase();
      await mongo.stop();
    }
  },
};

export default benchmark;
