/**
 * Mail latency (issue 19): from an invitation's delivery request event (its envelope time, set
 * just before it is produced to the tenant's notifications topic) to the SMTP server accepting
 * the mail (Mailpit's receive time for it), through the whole notifier: Kafka consume, the
 * delivery log's claim, opening the sealed delivery with the keyring, branding lookup, rendering,
 * the SMTP transaction and the log's update. Events go out at a steady 50/s. The goal is absolute
 * (p99 <= 2 s); the reference, for scale, is the same rendered mail sent straight to the same SMTP
 * server with nodemailer, timed from the call to the server's acceptance.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEvent, INVITATION_DELIVERY_PURPOSE, InvitationDeliveryRequested } from '@parley/contracts';
import { createKeyring, MasterKeyring, subjectKeyName } from '@parley/keyring';
import { connectKafka, connectMongo, connectRedis, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { Mailpit } from '@parley/notifier-service/mailpit';
import { notifierSettingsSchema } from '@parley/notifier-service/settings';
import { openNotifierFixture } from '@parley/notifier-service/testing';
import { kafkaTopic, mongoDatabaseName, tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import nodemailer from 'nodemailer';
import { type Benchmark, percentile } from '../harness.ts';

const EVENTS = 200;
const PACE_MS = 20;

const benchmark: Benchmark = {
  name: 'notifier-mail-latency',
  goal: 'invitation event to mail accepted by SMTP, p99 <= 2 s',
  needsStack: true,
  async run() {
    const settings = loadConfig(notifierSettingsSchema);
    const logger = createSilentLogger('bench');
    const mailpit = new Mailpit(process.env.MAILPIT_URL ?? 'http://127.0.0.1:18025');
    const mongo = await connectMongo(settings.MONGO_URL, logger);
    const redis = await connectRedis(settings.REDIS_URL, logger);
    const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'bench-notifier'), logger);
    const tenant = `bn${randomUUID().slice(0, 8)}`;
    const topic = kafkaTopic(tenant, 'notifications');
    const platformDb = mongo.client.db(`parley_bench_notifier_${tenant}`);
    const addresses: string[] = [];
    const transport = nodemailer.createTransport({
      host: settings.SMTP_HOST,
      port: settings.SMTP_PORT,
      pool: true,
    });
    let notifier: Awaited<ReturnType<typeof openNotifierFixture>> | undefined;
    try {
      await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await writeTenantRuntimeRecord(redis.client, tenant, {
        status: 'Ready',
        plan: 'team',
        quotas: { users: 10, storageGiB: 1, messagesPerSecond: 10 },
        generation: 1,
      });
      const keyring = createKeyring({
        db: platformDb,
        logger,
        masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
        source: 'bench',
      });
      await keyring.ensureIndexes();
      notifier = await openNotifierFixture({
        tenant,
        keyring,
        mongo,
        redis,
        kafka,
        serviceToken: 'bench-notifier-token-0123456789',
      });
      // Sealed ahead (auth seals at the invitation's write, not at its publication).
      const events = [];
      for (let i = 0; i < EVENTS + 10; i++) {
        const invitationId = randomUUID();
        const email = `b${i}-${tenant}@bench.test`;
        addresses.push(email);
        await keyring.ensureTenantKey(tenant, subjectKeyName(invitationId));
        const token = `${invitationId}.${randomBytes(32).toString('base64url')}`;
        const sealed = await keyring.encrypt(
          tenant,
          INVITATION_DELIVERY_PURPOSE,
          Buffer.from(JSON.stringify({ email, token, roles: ['member'] })),
          { keyName: subjectKeyName(invitationId), aad: Buffer.from(invitationId) },
        );
        events.push({ invitationId, email, sealedDelivery: Buffer.from(sealed).toString('base64') });
      }
      const produced = new Map<string, number>();
      let i = 0;
      for (const e of events) {
        const time = new Date();
        const event = createEvent(InvitationDeliveryRequested, {
          tenant,
          source: 'auth',
          time,
          payload: {
            invitationId: e.invitationId,
            expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
            sealedDelivery: e.sealedDelivery,
          },
        });
        await kafka.producer.send({ topic, messages: [{ value: JSON.stringify(event) }] });
        // The first 10 warm the consumer, the pool and the caches; they are not counted.
        if (i++ >= 10) produced.set(e.email, time.getTime());
        await sleep(PACE_MS);
      }
      const latencies: number[] = [];
      for (const [email, time] of produced) {
        const [mail] = await mailpit.waitForMail(email, { timeoutMs: 60_000 });
        latencies.push((mail?.created.getTime() ?? Number.NaN) - time);
      }

      // The floor: the same kind of mail straight to the SMTP server, sequentially.
      const direct: number[] = [];
      for (let n = 0; n < 100; n++) {
        const to = `d${n}-${tenant}@bench.test`;
        addresses.push(to);
        const started = performance.now();
        await transport.sendMail({
          from: settings.MAIL_FROM_ADDRESS,
          to,
          subject: 'Direct',
          text: 'x'.repeat(600),
          html: `<p>${'x'.repeat(600)}</p>`,
        });
        direct.push(performance.now() - started);
      }
      const p99 = percentile(latencies, 99);
      const directP99 = percentile(direct, 99);
      return {
        parley: { label: 'event to SMTP acceptance p99 (inverse)', value: 1000 / p99, unit: '1/s' },
        reference: { label: 'direct nodemailer send p99 (inverse)', value: 1000 / directP99, unit: '1/s' },
        goalMet: p99 <= 2_000,
        details: {
          mails: latencies.length,
          paceMs: PACE_MS,
          p50Ms: Math.round(percentile(latencies, 50)),
          p99Ms: Math.round(p99),
          maxMs: Math.round(Math.max(...latencies)),
          directP50Ms: Math.round(percentile(direct, 50) * 10) / 10,
          directP99Ms: Math.round(directP99 * 10) / 10,
        },
      };
    } finally {
      transport.close();
      await notifier?.close();
      for (const email of addresses) await mailpit.deleteTo(email).catch(() => {});
      await kafka.admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await redis.client.del(tenantRuntimeKey(tenant));
      await mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
      await platformDb.dropDatabase();
      await kafka.stop();
      await redis.stop();
      await mongo.stop();
    }
  },
};

export default benchmark;
