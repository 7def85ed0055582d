/**
 * Kafka paths on the real broker: batched ingestion from a tenant's audit topic (bad records
 * parked, redeliveries appended once), and GDPR export/erasure coordinated with another
 * participant over the tenant's gdpr topic (requests through the outbox, reports back), where a
 * participant that does not answer keeps the job open.
 */
import { randomUUID } from 'node:crypto';
import type { TopicPatternConsumer } from '@parley/compliance-client';
import { GdprClient, GdprParticipant, sealPersonalFields } from '@parley/compliance-client';
import {
  type AuditRecordInput,
  AuditRecordSubmitted,
  createEvent,
  decodeEnvelope,
  GdprParticipantReported,
  type GdprRequestPayload,
} from '@parley/contracts';
import {
  connectKafka,
  type KafkaConnection,
  kafkaSettings,
  kafkaSettingsFromConfig,
  loadConfig,
  Type,
} from '@parley/kit';
import { eventually } from '@parley/kit/testing';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import { unzipSync } from 'fflate';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GDPR_OUTBOX_COLLECTIONS } from './store/gdpr-collections.ts';
import {
  auditInput,
  type ComplianceFixture,
  openComplianceFixture,
  TEST_TOKEN,
} from './testing/compliance-fixture.ts';
import { createAuditIngestConsumer } from './workers/audit-ingest-consumer.ts';
import { createGdprReportConsumer } from './workers/gdpr-report-consumer.ts';

let f: ComplianceFixture;
let kafka: KafkaConnection;
const stoppers: (() => Promise<void>)[] = [];
const topics: string[] = [];

beforeAll(async () => {
  f = await openComplianceFixture();
  const settings = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'compliance-test'), f.logger);
});

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  if (topics.length > 0) await kafka?.admin.deleteTopics({ topics }).catch(() => {});
  await kafka?.stop();
  await f?.close();
});

async function tenantWithTopics(): Promise<string> {
  const tenant = await f.tenant();
  const names = [kafkaTopic(tenant, 'audit'), kafkaTopic(tenant, 'gdpr')];
  await kafka.admin.createTopics({
    topics: names.map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
  topics.push(...names);
  return tenant;
}

const onlyTopic = (tenant: string, stream: string) =>
  new RegExp(`^${kafkaTopic(tenant, stream).replaceAll('.', '\\.')}$`);

async function started(consumer: TopicPatternConsumer): Promise<TopicPatternConsumer> {
  await consumer.start();
  stoppers.push(() => consumer.stop());
  return consumer;
}

describe('Kafka audit ingestion', () => {
  it('appends every valid record once, in batches of at most 100, and parks the invalid ones', async () => {
    const tenant = await tenantWithTopics();
    const topic = kafkaTopic(tenant, 'audit');
    const events = Array.from({ length: 230 }, (_, i) =>
      createEvent(AuditRecordSubmitted, {
        tenant,
        source: i % 2 ? 'auth' : 'operator',
        payload: auditInput() as never,
      }),
    );
    const otherTenant = createEvent(AuditRecordSubmitted, {
      tenant: 'someone-else',
      source: 'auth',
      payload: auditInput() as never,
    });
    // Sealed by the producer (as Kafka producers should): stored as is, and it opens.
    const sealed = await sealPersonalFields(f.keyring, tenant, {
      ...(auditInput() as never as AuditRecordInput),
      personal: [{ subject: 'u-ivy', fields: { email: 'ivy@example.com' } }],
    });
    // Claims to be sealed, but is the clear text in base64: refused and parked.
    const forged = {
      ...(auditInput() as never as AuditRecordInput),
      personal: [
        {
          subject: 'u-ivy',
          keyName: 'subject:u-ivy',
          ciphertext: Buffer.from('{"email":"ivy@example.com"}').toString('base64'),
        },
      ],
    };
    const messages = [
      ...events.slice(0, 120).map((e) => ({ value: JSON.stringify(e) })),
      { value: '{not json' },
      { value: JSON.stringify({ ...events[0], payload: { ...events[0]?.payload, action: 'BAD' } }) },
      { value: JSON.stringify(otherTenant) },
      {
        value: JSON.stringify(createEvent(AuditRecordSubmitted, { tenant, source: 'auth', payload: sealed })),
      },
      {
        value: JSON.stringify(createEvent(AuditRecordSubmitted, { tenant, source: 'auth', payload: forged })),
      },
      ...events.slice(120).map((e) => ({ value: JSON.stringify(e) })),
      // A redelivery of records already sent: appended once.
      ...events.slice(0, 5).map((e) => ({ value: JSON.stringify(e) })),
    ];
    await kafka.producer.send({ topic, messages });

    await started(
      createAuditIngestConsumer({
        kafka: kafka.kafka,
        client: f.client,
        auditLogs: f.auditLogs,
        logger: f.logger,
        batchSize: 100,
        maxWaitMs: 500,
        refreshMs: 60_000,
        groupId: `compliance.audit-ingest.test-${randomUUID()}`,
        pattern: onlyTopic(tenant, 'audit'),
      }),
    );

    const db = f.client.db(mongoDatabaseName(tenant));
    await eventually(
      () => db.collection('audit_records').countDocuments(),
      (n) => n >= 231,
    );
    await eventually(
      () => db.collection('audit_rejected').countDocuments(),
      (n) => n >= 4,
    );
    expect(await db.collection('audit_records').countDocuments()).toBe(231);
    const rejected = await db.collection('audit_rejected').find().toArray();
    expect(rejected.map((r) => r.reason).join('\n')).toMatch(
      /not JSON[\s\S]*payload\/action[\s\S]*someone-else[\s\S]*do not open/,
    );
    const stored = await db.collection('audit_records').findOne({ _id: sealed.id as never });
    expect(JSON.stringify(stored)).not.toContain('ivy@example.com');
    const revealed = await f.call('GET', `/v1/tenants/${tenant}/audit/records?reveal=true&subject=u-ivy`);
    expect(revealed.body.records).toHaveLength(1);
    expect(revealed.body.records[0].revealed).toEqual([
      { subject: 'u-ivy', fields: { email: 'ivy@example.com' } },
    ]);
    expect(JSON.stringify(rejected)).not.toContain('"actor"'); // only digests are kept

    // Records of one append share appendedAt: no append carried more than 100.
    const perAppend = await db
      .collection('audit_records')
      .aggregate([{ $group: { _id: '$appendedAt', n: { $sum: 1 } } }])
      .toArray();
    expect(Math.max(...perAppend.map((g) => g.n as number))).toBeLessThanOrEqual(100);
    const sources = await db.collection('audit_records').distinct('source');
    expect(sources.sort()).toEqual(['auth', 'operator']);

    const verification = await (await f.auditLogs.get(tenant)).verify(f.auditLogs.publicKeys);
    expect(verification).toMatchObject({ ok: true, records: 231 });

    // Erasing the person also erases the copy on the topic: it only ever held ciphertext.
    const erased = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-ivy',
      requestedBy: 'u-ivy',
    });
    expect(erased.body.status).toBe('completed');
    const copy = sealed.personal?.[0];
    if (!copy || !('ciphertext' in copy)) throw new Error('the producer did not seal');
    await expect(
      f.keyring.decrypt(tenant, 'audit.pii', Buffer.from(copy.ciphertext, 'base64')),
    ).rejects.toThrow();
    expect(
      JSON.stringify(
        (await f.call('GET', `/v1/tenants/${tenant}/audit/records?reveal=true&subject=u-ivy`)).body,
      ),
    ).not.toContain('ivy@example.com');
  });
});

describe('GDPR coordination over Kafka', () => {
  it('completes an export and an erasure only when every participant has reported; a silent one keeps the job open', async () => {
    const tenant = await tenantWithTopics();
    const gdprTopic = kafkaTopic(tenant, 'gdpr');
    expect(
      (
        await f.call('PUT', '/v1/gdpr/participants/testsvc', {
          handles: ['export', 'erasure'],
          description: 'test participant',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await f.call('PUT', '/v1/gdpr/participants/silentsvc', {
          handles: ['erasure'],
          description: 'never answers',
        })
      ).status,
    ).toBe(200);

    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger: f.logger,
      sources: async () =>
        GDPR_OUTBOX_COLLECTIONS.map((name) => f.client.db(mongoDatabaseName(tenant)).collection(name)),
      topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
      intervalMs: 100,
    });
    relay.start();
    stoppers.push(() => relay.stop());
    await started(
      createGdprReportConsumer({
        kafka: kafka.kafka,
        coordinator: f.gdpr,
        logger: f.logger,
        refreshMs: 60_000,
        groupId: `compliance.gdpr-reports.test-${randomUUID()}`,
        pattern: onlyTopic(tenant, 'gdpr'),
      }),
    );

    // The test participant: consumes requests, uploads its export part over HTTP, reports on Kafka.
    const participant: Consumer = kafka.kafka.consumer({
      groupId: `testsvc.gdpr.${randomUUID()}`,
      maxWaitTimeInMs: 200,
    });
    await participant.connect();
    stoppers.push(() => participant.disconnect());
    await participant.subscribe({ topic: gdprTopic, fromBeginning: true });
    await participant.run({
      eachMessage: async ({ message }) => {
        const event = decodeEnvelope(message.value);
        if (event.type !== 'gdpr.export.requested.v1' && event.type !== 'gdpr.erasure.requested.v1') return;
        const request = event.payload as GdprRequestPayload;
        if (!request.participants.includes('testsvc')) return;
        const kind = event.type === 'gdpr.export.requested.v1' ? 'export' : 'erasure';
        let exportPart: { sha256: string; bytes: number } | undefined;
        if (kind === 'export') {
          const uploaded = await f.call(
            'PUT',
            `/v1/tenants/${tenant}/gdpr/jobs/${request.jobId}/export-parts/testsvc`,
            {
              data: { profile: { userId: request.userId, email: 'gina@example.com' } },
            },
          );
          exportPart = uploaded.body;
        }
        const report = createEvent(GdprParticipantReported, {
          tenant,
          source: 'testsvc',
          payload: {
            jobId: request.jobId,
            kind,
            participant: 'testsvc',
            status: 'done',
            ...(exportPart ? { exportPart } : { counts: { profiles: 1 } }),
          },
        });
        await kafka.producer.send({
          topic: gdprTopic,
          messages: [{ key: request.jobId, value: JSON.stringify(report) }],
        });
      },
    });

    const exportJob = await f.call('POST', `/v1/tenants/${tenant}/gdpr/exports`, {
      userId: 'u-gina',
      requestedBy: 'u-gina',
    });
    // Compliance's own part is done when the request returns; testsvc answers over Kafka (maybe already).
    expect(['in-progress', 'completed']).toContain(exportJob.body.status);
    expect(Object.keys(exportJob.body.participants).sort()).toEqual(['compliance', 'testsvc']);
    expect(exportJob.body.participants.compliance.status).toBe('done');
    const exported = await eventually(
      () => f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${exportJob.body.id}`),
      (r) => r.body.status !== 'in-progress',
      { timeoutMs: 45_000 },
    );
    expect(exported.body.status).toBe('completed');
    const archive = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${exportJob.body.id}/archive`);
    const files = unzipSync(new Uint8Array(archive.raw));
    expect(Object.keys(files).sort()).toEqual([
      'README.txt',
      'compliance.json',
      'receipt.json',
      'testsvc.json',
    ]);
    expect(Buffer.from(files['testsvc.json'] as Uint8Array).toString()).toContain('gina@example.com');
    expect(
      JSON.parse(Buffer.from(files['receipt.json'] as Uint8Array).toString()).files.map(
        (x: { name: string }) => x.name,
      ),
    ).toEqual(['compliance.json', 'testsvc.json']);

    const erasure = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-gina',
      requestedBy: 'u-gina',
    });
    expect(Object.keys(erasure.body.participants).sort()).toEqual(['compliance', 'silentsvc', 'testsvc']);
    const open = await eventually(
      () => f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${erasure.body.id}`),
      (r) => r.body.participants.testsvc.status === 'done',
      { timeoutMs: 45_000 },
    );
    // testsvc and compliance are done; silentsvc never answered: the job stays open, visibly.
    expect(open.body.status).toBe('in-progress');
    expect(open.body.participants.silentsvc).toEqual({ status: 'pending' });

    const late = createEvent(GdprParticipantReported, {
      tenant,
      source: 'silentsvc',
      payload: {
        jobId: erasure.body.id,
        kind: 'erasure',
        participant: 'silentsvc',
        status: 'done',
        counts: { rows: 0 },
      },
    });
    await kafka.producer.send({ topic: gdprTopic, messages: [{ value: JSON.stringify(late) }] });
    const closed = await eventually(
      () => f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${erasure.body.id}`),
      (r) => r.body.status !== 'in-progress',
      { timeoutMs: 45_000 },
    );
    expect(closed.body.status).toBe('completed');

    // Export data travelled over HTTP, never on the topic: the gdpr topic holds no personal data.
    await relay.flush();
    const offsets = await kafka.admin.fetchTopicOffsets(gdprTopic);
    const reader = kafka.kafka.consumer({ groupId: `reader.${randomUUID()}`, maxWaitTimeInMs: 200 });
    const seen: string[] = [];
    await reader.connect();
    await reader.subscribe({ topic: gdprTopic, fromBeginning: true });
    const end = Number(offsets[0]?.high ?? 0);
    await new Promise<void>((resolve) => {
      void reader.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (Number(message.offset) + 1 >= end) resolve();
        },
      });
    });
    await reader.disconnect();
    expect(seen.length).toBe(end);
    expect(seen.join('\n')).not.toContain('gina@example.com');
    expect(seen.join('\n')).toContain('gdpr.job.finished.v1');
    // This file's tests share one participant registry: leave it as found.
    await f.client
      .db(f.participantsDb)
      .collection('gdpr_participants')
      .deleteMany({ _id: { $in: ['testsvc', 'silentsvc'] } as never });
  });
});

describe('GdprParticipant (compliance-client) over Kafka', () => {
  it('exports and erases a real store’s data, and reports a held person as blocked', async () => {
    const tenant = await tenantWithTopics();
    const db = f.client.db(mongoDatabaseName(tenant));
    await db.collection('profiles').insertMany([
      { _id: 'u-lee' as never, email: 'lee@example.com', displayName: 'Lee' },
      { _id: 'u-max' as never, email: 'max@example.com', displayName: 'Max' },
    ]);
    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger: f.logger,
      sources: async () => GDPR_OUTBOX_COLLECTIONS.map((name) => db.collection(name)),
      topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
      intervalMs: 100,
    });
    relay.start();
    stoppers.push(() => relay.stop());
    await started(
      createGdprReportConsumer({
        kafka: kafka.kafka,
        coordinator: f.gdpr,
        logger: f.logger,
        refreshMs: 60_000,
        groupId: `compliance.gdpr-reports.test-${randomUUID()}`,
        pattern: onlyTopic(tenant, 'gdpr'),
      }),
    );
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      const app = f.newApp();
      stoppers.push(() => app.close());
      app
        .listen({ host: '127.0.0.1', port: 0 })
        .then(() => {
          const address = app.server.address();
          resolve({ port: typeof address === 'object' && address ? address.port : 0 });
        })
        .catch(reject);
    });
    const client = new GdprClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TEST_TOKEN });
    const participant = (name: string, holdsOn?: () => Promise<string[]>) =>
      new GdprParticipant({
        name,
        description: `${name} test participant`,
        kafka: kafka.kafka,
        producer: kafka.producer,
        client,
        logger: f.logger,
        groupId: `${name}.gdpr.test-${randomUUID()}`,
        pattern: onlyTopic(tenant, 'gdpr'),
        ...(holdsOn ? { holdsOn } : {}),
        handlers: {
          exportData: async (_t, userId) => db.collection('profiles').findOne({ _id: userId as never }),
          erase: async (_t, userId) => ({
            counts: {
              profiles: (await db.collection('profiles').deleteOne({ _id: userId as never })).deletedCount,
            },
          }),
        },
      });
    const profiles = participant('profiles');
    await profiles.start();
    stoppers.push(() => profiles.stop());

    const exported = await f.call('POST', `/v1/tenants/${tenant}/gdpr/exports`, {
      userId: 'u-lee',
      requestedBy: 'u-lee',
    });
    const done = await eventually(
      () => f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${exported.body.id}`),
      (r) => r.body.status !== 'in-progress',
      { timeoutMs: 45_000 },
    );
    expect(done.body.status).toBe('completed');
    const archive = unzipSync(
      new Uint8Array(
        (await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${exported.body.id}/archive`)).raw,
      ),
    );
    expect(Buffer.from(archive['profiles.json'] as Uint8Array).toString()).toContain('lee@example.com');

    const erased = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-lee',
      requestedBy: 'u-lee',
    });
    const gone = await eventually(
      () => f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${erased.body.id}`),
      (r) => r.body.status !== 'in-progress',
      { timeoutMs: 45_000 },
    );
    expect(gone.body.status).toBe('completed');
    expect(gone.body.participants.profiles).toMatchObject({ status: 'done', counts: { profiles: 1 } });
    expect(await db.collection('profiles').findOne({ _id: 'u-lee' as never })).toBeNull();

    // A participant that knows of a hold on the person erases nothing and says why.
    const vault = participant('vault', async () => ['hold-vault-7']);
    await vault.start();
    stoppers.push(() => vault.stop());
    const held = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-max',
      requestedBy: 'u-max',
    });
    const blocked = await eventually(
      () => f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${held.body.id}`),
      (r) => r.body.status !== 'in-progress',
      { timeoutMs: 45_000 },
    );
    expect(blocked.body.status).toBe('blocked');
    expect(blocked.body.participants.vault).toMatchObject({ status: 'blocked', holdIds: ['hold-vault-7'] });
  });
});
