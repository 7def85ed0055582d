/**
 * A 50-message page of an encrypted conversation, as messaging serves it (membership check, one
 * find, 50 envelope opens with a cached data key, the views), against reading the same 50
 * documents raw with the driver: what access control, decryption and shaping cost on a page.
 * Goal (issue 14): >= 0.5. Measured in process (no HTTP hop on either side).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createKeyring, MasterKeyring } from '@parley/keyring';
import { connectMongo, loadConfig, mongoSettings } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { createMessagingDomain } from '@parley/messaging-service/src/components.ts';
import { noImmediatePublish } from '@parley/messaging-service/src/domain/outbox-publisher.ts';
import { mongoDatabaseName } from '@parley/tenancy';
import { Type } from 'typebox';
import { type Benchmark, interleave } from '../harness.ts';

const PAGE = 50;

const benchmark: Benchmark = {
  name: 'messaging-history-page',
  goal: '>= 0.5 x reading the same 50 documents raw',
  minRatio: 0.5,
  needsStack: true,
  async run(context) {
    const logger = createSilentLogger('bench');
    const mongo = await connectMongo(loadConfig(Type.Object({ ...mongoSettings })).MONGO_URL, logger);
    const tenant = `bh${randomUUID().slice(0, 8)}`;
    const platformDb = mongo.client.db(`parley_bench_messaging_${tenant}`);
    try {
      const keyring = createKeyring({
        db: platformDb,
        logger,
        masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
        source: 'bench',
      });
      await keyring.ensureIndexes();
      await keyring.ensureTenantKey(tenant);
      const components = createMessagingDomain({
        mongo: mongo.client,
        keyring,
        publisher: noImmediatePublish,
        seqVoidAfterMs: 10_000,
      });
      const caller = { tenant, userId: 'ann', roles: ['member'] };
      const room = (
        await components.conversations.create(caller, { kind: 'group', name: 'Bench', memberIds: ['bob'] })
      ).id;
      const text = 'x'.repeat(200);
      for (let i = 0; i < PAGE + 10; i++)
        await components.messages.send(caller, room, { clientMessageId: `b-${i}`, text: `${i} ${text}` });
      const raw = mongo.client.db(mongoDatabaseName(tenant)).collection('messages');

      const rate = (op: () => Promise<unknown>) => async (roundMs: number) => {
        let done = 0;
        const started = performance.now();
        while (performance.now() - started < roundMs) {
          await op();
          done++;
        }
        return done / ((performance.now() - started) / 1000);
      };
      const { parley, reference } = await interleave(
        context,
        rate(() => components.history.page(caller, room, { limit: PAGE })),
        rate(() => raw.find({ conversationId: room }).sort({ seq: -1 }).limit(PAGE).toArray()),
      );
      return {
        parley: { label: 'messaging history page (decrypted)', value: parley, unit: 'pages/s' },
        reference: { label: 'raw find of the same 50 documents', value: reference, unit: 'pages/s' },
        details: { pageSize: PAGE, bodyBytes: text.length + 3 },
      };
    } finally {
      await mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
      await platformDb.dropDatabase();
      await mongo.stop();
    }
  },
};

export default benchmark;
