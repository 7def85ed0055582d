/**
 * Forged GDPR requests on the real broker, against a real compliance service on a real port: a
 * participant (compliance-client's GdprParticipant, as the auth service runs it) erases only for
 * a job the compliance service holds in the tenant's database. Anyone who can write the tenant's
 * gdpr topic (its own Kafka credential, a forged outbox) could otherwise erase any person.
 */
import { randomUUID } from 'node:crypto';
import { GdprClient, GdprParticipant } from '@parley/compliance-client';
import { createEvent, GdprErasureRequested } from '@parley/contracts';
import {
  connectKafka,
  eventRefusals,
  type KafkaConnection,
  kafkaSettings,
  kafkaSettingsFromConfig,
  loadConfig,
  Type,
} from '@parley/kit';
import { eventually } from '@parley/kit/testing';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComplianceFixture, openComplianceFixture, TEST_TOKEN } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
let kafka: KafkaConnection;
const stoppers: (() => Promise<void>)[] = [];
const topics: string[] = [];

beforeAll(async () => {
  f = await openComplianceFixture();
  const settings = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'compliance-forgery-test'), f.logger);
});

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  if (topics.length > 0) await kafka?.admin.deleteTopics({ topics }).catch(() => {});
  await kafka?.stop();
  await f?.close();
});

async function listeningClient(): Promise<GdprClient> {
  const app = f.newApp();
  stoppers.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return new GdprClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TEST_TOKEN });
}

describe('GDPR requests without a job', () => {
  it('a GDPR erasure request with no job behind it is not acted on', async () => {
    const tenant = await f.tenant();
    const topic = kafkaTopic(tenant, 'gdpr');
    await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    topics.push(topic);
    const db = f.client.db(mongoDatabaseName(tenant));
    await db.collection('profiles').insertMany([
      { _id: 'u-target' as never, email: 'target@example.com' },
      { _id: 'u-other' as never, email: 'other@example.com' },
    ]);
    const name = `vault-${randomUUID().slice(0, 6)}`;
    const groupId = `${name}.gdpr.test-${randomUUID()}`;
    const participant = new GdprParticipant({
      name,
      description: 'forgery test participant',
      kafka: kafka.kafka,
      producer: kafka.producer,
      client: await listeningClient(),
      logger: f.logger,
      groupId,
      pattern: new RegExp(`^${topic.replaceAll('.', '\\.')}$`),
      handlers: {
        erase: async (_t, userId) => ({
          counts: {
            profiles: (await db.collection('profiles').deleteOne({ _id: userId as never })).deletedCount,
          },
        }),
      },
    });
    await participant.start(); // registers, so the real job below names it
    stoppers.push(() => participant.stop());

    // A real job, for someone else: its request stays in the outbox (no relay runs here).
    const real = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-other',
      requestedBy: 'u-dpo',
    });
    expect(real.status).toBe(202);
    expect(real.body.participants).toHaveProperty(name);

    const before = await eventRefusals.total(groupId, 'no-such-job');
    const forged = (jobId: string) =>
      JSON.stringify(
        createEvent(GdprErasureRequested, {
          tenant,
          source: 'compliance',
          payload: { jobId, userId: 'u-target', participants: [name], requestedAt: new Date().toISOString() },
        }),
      );
    await kafka.producer.send({
      topic,
      acks: -1,
      // No job at all, and a real job's id naming another person.
      messages: [{ value: forged(randomUUID()) }, { value: forged(real.body.id) }],
    });

    await eventually(
      () => eventRefusals.total(groupId, 'no-such-job'),
      (n) => n >= before + 2,
      { timeoutMs: 45_000 },
    );
    expect(await db.collection('profiles').findOne({ _id: 'u-target' as never })).not.toBeNull();
    expect(await db.collection('profiles').findOne({ _id: 'u-other' as never })).not.toBeNull();
    // Nothing was reported for either: the topic holds only the two forgeries.
    const offsets = await kafka.admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, o) => sum + Number(o.high), 0)).toBe(2);
    const job = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${real.body.id}`);
    expect(job.body.participants[name]).toMatchObject({ status: 'pending' });
  });
});
