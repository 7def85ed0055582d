/**
 * packages/compliance-client's AuditRecorder against the real service listening on a real port,
 * the real broker and the real Mongo-wire server: batches, the Kafka fallback while the service
 * is down, the bounded buffer spilling to disk while everything is down, and delivery of the
 * spilled records after a restart. No record is lost and none is appended twice.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecorder, InvalidAuditRecordError } from '@parley/compliance-client';
import {
  connectKafka,
  type KafkaConnection,
  kafkaSettings,
  loadConfig,
  type ServiceApp,
  Type,
} from '@parley/kit';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComplianceFixture, openComplianceFixture, TEST_TOKEN } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
let kafka: KafkaConnection;
const dir = mkdtempSync(join(tmpdir(), 'audit-recorder-'));
const apps: ServiceApp[] = [];

beforeAll(async () => {
  f = await openComplianceFixture();
  const s = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(
    {
      brokers: s.KAFKA_BROKERS,
      username: s.KAFKA_USERNAME,
      password: s.KAFKA_PASSWORD,
      clientId: 'recorder-test',
    },
    f.logger,
  );
});
afterAll(async () => {
  for (const app of apps) await app.close().catch(() => {});
  await kafka?.stop();
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(port = 0): Promise<{ app: ServiceApp; port: number }> {
  const app = f.newApp();
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : port };
}

const draft = (n: number) => ({
  actor: { type: 'service' as const, id: 'auth' },
  action: 'auth.security.session-revoked',
  resource: { type: 'session', id: `s-${n}` },
  outcome: 'success' as const,
  metadata: { n },
});

const count = (tenant: string) =>
  f.client.db(mongoDatabaseName(tenant)).collection('audit_records').countDocuments();

describe('AuditRecorder', () => {
  it('batches records per tenant over HTTP and refuses an invalid record at once', async () => {
    const { port } = await listen();
    const recorder = new AuditRecorder({
      http: { baseUrl: `http://127.0.0.1:${port}`, serviceToken: TEST_TOKEN },
      source: 'auth',
      logger: f.logger,
      spillPath: join(dir, 'a.ndjson'),
    });
    await recorder.start();
    const [a, b] = [await f.tenant(), await f.tenant()];
    for (let i = 0; i < 250; i += 1) recorder.record(a, draft(i));
    for (let i = 0; i < 3; i += 1) recorder.record(b, draft(i));
    expect(() => recorder.record(a, { ...draft(0), action: 'Bad Action' })).toThrow(InvalidAuditRecordError);
    await recorder.flush();
    expect(await count(a)).toBe(250);
    expect(await count(b)).toBe(3);
    // Order is kept within a tenant.
    const ns = (
      await f.client
        .db(mongoDatabaseName(a))
        .collection('audit_records')
        .find()
        .sort({ sequence: 1 })
        .toArray()
    ).map((r) => r.metadata.n);
    expect(ns).toEqual(Array.from({ length: 250 }, (_, i) => i));
    await recorder.stop();
    expect(recorder.stats).toMatchObject({ deliveredHttp: 253, deliveredKafka: 0, spilled: 0 });
  });

  it('falls back to the tenant audit topic while the service is down', async () => {
    const tenant = await f.tenant();
    const topic = kafkaTopic(tenant, 'audit');
    await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    try {
      const recorder = new AuditRecorder({
        http: { baseUrl: 'http://127.0.0.1:9', serviceToken: TEST_TOKEN, timeoutMs: 300 },
        source: 'auth',
        logger: f.logger,
        kafkaProducer: kafka.producer,
        sealer: f.keyring,
        spillPath: join(dir, 'b.ndjson'),
      });
      await recorder.start();
      const ids = Array.from({ length: 10 }, (_, i) =>
        recorder.record(tenant, {
          ...draft(i),
          personal: [{ subject: 'u-jo', fields: { email: 'jo@example.com' } }],
        }),
      );
      expect(ids.every((id) => typeof id === 'string')).toBe(true); // returned at once, no promise
      await recorder.flush();
      await recorder.stop();
      expect(recorder.stats).toMatchObject({ deliveredKafka: 10, deliveredHttp: 0 });
      const offsets = await kafka.admin.fetchTopicOffsets(topic);
      expect(Number(offsets[0]?.high)).toBe(10);
      // What sits on the topic is sealed under the subject's key: no clear personal data.
      const reader = kafka.kafka.consumer({ groupId: `reader.${ids[0]}`, maxWaitTimeInMs: 200 });
      const seen: string[] = [];
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void reader.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '');
            if (seen.length === 10) resolve();
          },
        });
      });
      await reader.disconnect();
      expect(seen.join('\n')).not.toContain('jo@example.com');
      expect(seen.join('\n')).toContain('subject:u-jo');
    } finally {
      await kafka.admin.deleteTopics({ topics: [topic] }).catch(() => {});
    }
  });

  it('holds a bounded buffer, spills the rest, spills everything on stop, and delivers it all after a restart', async () => {
    const tenant = await f.tenant();
    // Find a free port, then leave it closed: the service is "down".
    const probe = await listen();
    await probe.app.close();
    const baseUrl = `http://127.0.0.1:${probe.port}`;
    const spillPath = join(dir, 'c.ndjson');
    const first = new AuditRecorder({
      http: { baseUrl, serviceToken: TEST_TOKEN, timeoutMs: 300, attempts: 1 },
      source: 'auth',
      logger: f.logger,
      maxBuffered: 5,
      spillPath,
      stopTimeoutMs: 300,
    });
    await first.start();
    const ids = Array.from({ length: 12 }, (_, i) => first.record(tenant, draft(i)));
    expect(first.buffered).toBe(5);
    await expect(first.flush()).rejects.toThrow(/could not be delivered/);
    await first.stop();
    const spilled = readFileSync(spillPath, 'utf8').trim().split('\n');
    expect(spilled).toHaveLength(12);
    expect(await count(tenant)).toBe(0);

    await listen(probe.port); // the service is back
    const second = new AuditRecorder({
      http: { baseUrl, serviceToken: TEST_TOKEN },
      source: 'auth',
      logger: f.logger,
      spillPath,
    });
    await second.start();
    expect(second.buffered).toBe(12);
    await second.flush();
    await second.stop();
    const stored = await f.client.db(mongoDatabaseName(tenant)).collection('audit_records').find().toArray();
    expect(stored.map((r) => r._id).sort()).toEqual([...ids].sort());
  });
});
