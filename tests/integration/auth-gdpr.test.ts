/**
 * The auth service as a GDPR participant of the compliance service, both as their main.ts build
 * them, over the real broker, Mongo-wire server and Redis: an export job that includes auth's
 * data completes; an erasure that a legal hold reaches at auth is reported blocked (and audited
 * by auth as denied), and once the hold is lifted the resumed erasure completes and leaves
 * nothing readable about the person in auth's store.
 */
import { randomUUID } from 'node:crypto';
import { type AuthFixture, openAuthFixture } from '@parley/auth-service/testing';
import { createGdprParticipation } from '@parley/auth-service/workers/gdpr-participation';
import { GdprClient } from '@parley/compliance-client';
import { GDPR_OUTBOX_COLLECTIONS } from '@parley/compliance-service/store/gdpr-collections';
import {
  type ComplianceFixture,
  openComplianceFixture,
  TEST_TOKEN,
} from '@parley/compliance-service/testing';
import { createGdprReportConsumer } from '@parley/compliance-service/workers/gdpr-report-consumer';
import { connectKafka, type KafkaConnection, kafkaSettings, loadConfig, Type } from '@parley/kit';
import { eventually } from '@parley/kit/testing';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let compliance: ComplianceFixture;
let auth: AuthFixture;
let kafka: KafkaConnection;
let tenant: string;
let client: GdprClient;
const stoppers: (() => Promise<void>)[] = [];

const onlyTopic = (t: string) => new RegExp(`^${kafkaTopic(t, 'gdpr').replaceAll('.', '\\.')}$`);

beforeAll(async () => {
  compliance = await openComplianceFixture();
  tenant = await compliance.tenant();
  auth = await openAuthFixture({}, { tenant });
  const settings = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(
    {
      brokers: settings.KAFKA_BROKERS,
      username: settings.KAFKA_USERNAME,
      password: settings.KAFKA_PASSWORD,
      clientId: 'auth-gdpr-test',
    },
    compliance.logger,
  );
  await kafka.admin.createTopics({
    topics: [kafkaTopic(tenant, 'gdpr'), kafkaTopic(tenant, 'audit')].map((topic) => ({
      topic,
      numPartitions: 1,
    })),
    waitForLeaders: true,
  });
  // The compliance side as its main.ts runs it: the gdpr outbox relay, the report consumer, HTTP.
  const db = compliance.client.db(mongoDatabaseName(tenant));
  const relay = new OutboxRelay({
    producer: kafka.producer,
    logger: compliance.logger,
    sources: async () => GDPR_OUTBOX_COLLECTIONS.map((name) => db.collection(name)),
    topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
    intervalMs: 100,
  });
  relay.start();
  stoppers.push(() => relay.stop());
  const reports = createGdprReportConsumer({
    kafka: kafka.kafka,
    coordinator: compliance.gdpr,
    logger: compliance.logger,
    refreshMs: 60_000,
    groupId: `compliance.gdpr-reports.test-${randomUUID()}`,
    pattern: onlyTopic(tenant),
  });
  await reports.start();
  stoppers.push(() => reports.stop());
  const app = compliance.newApp();
  stoppers.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  client = new GdprClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TEST_TOKEN });
});

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(tenant, 'gdpr'), kafkaTopic(tenant, 'audit')] })
    .catch(() => {});
  await kafka?.stop();
  await auth?.close();
  await compliance?.client
    .db(compliance.participantsDb)
    .collection('gdpr_participants')
    .deleteMany({})
    .catch(() => {});
  await compliance?.close();
});

/** Auth's participant as main.ts makes it; one consumer group for the file, as one service has. */
async function startAuthParticipant() {
  const participant = createGdprParticipation({
    components: auth.components,
    kafka: kafka.kafka,
    producer: kafka.producer,
    client,
    logger: compliance.logger,
    groupId: `auth.gdpr.test-${tenant}`,
    pattern: onlyTopic(tenant),
  });
  await participant.start();
  stoppers.push(() => participant.stop());
  return participant;
}

const job = (id: string) => compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${id}`);
const settled = (id: string) =>
  eventually(
    () => job(id),
    (r) => r.body.status !== 'in-progress',
    { timeoutMs: 45_000 },
  );

describe('auth as a GDPR participant', () => {
  it('answers an export with what auth holds about the person (no secrets), and the job completes', async () => {
    const participant = await startAuthParticipant();
    const userId = await auth.register('nora@example.com');
    const session = await auth.login('nora@example.com');

    const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/exports`, {
      userId,
      requestedBy: userId,
    });
    expect(requested.status).toBe(202);
    expect(Object.keys(requested.body.participants).sort()).toEqual(['auth', 'compliance']);
    const done = await settled(requested.body.id);
    expect(done.body.status).toBe('completed');
    expect(done.body.participants.auth.status).toBe('done');

    const archive = unzipSync(
      new Uint8Array(
        (await compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${requested.body.id}/archive`)).raw,
      ),
    );
    const part = Buffer.from(archive['auth.json'] as Uint8Array).toString();
    expect(part).toContain('nora@example.com');
    expect(part).toContain(String(session.sessionId));
    expect(part).toContain('"roles":["member"]');
    expect(part).toContain('"totpEnrolled":false');
    const user = await (await auth.components.store.forTenant(tenant)).users.findOne({ _id: userId });
    expect(part).not.toContain(String(user?.passwordHash));
    expect(part).not.toContain('passwordHash');
    expect(part).not.toContain(String(session.refreshToken).split('.')[1]);
    await participant.stop();
  });

  it('reports an erasure blocked while a hold covers the person, and erases once the hold is lifted', async () => {
    const userId = await auth.register('otto@example.com');
    const session = await auth.login('otto@example.com');

    // Auth is away when the request comes; a hold is placed before it is back (the compliance
    // service found none at request time, so only auth's own check can stop it).
    const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId,
      requestedBy: 'dpo@example.com',
    });
    expect(requested.status).toBe(202);
    expect(requested.body.participants.auth).toEqual({ status: 'pending' });
    const placed = await compliance.call('POST', `/v1/tenants/${tenant}/legal-holds`, {
      scope: { kind: 'person', userId },
      reason: 'Case 2026-31',
      setBy: 'counsel@example.com',
    });
    expect(placed.status).toBe(201);
    const holdId = placed.body.hold.id as string;
    await startAuthParticipant();

    const blocked = await settled(requested.body.id);
    expect(blocked.body.status).toBe('blocked');
    expect(blocked.body.participants.auth).toMatchObject({ status: 'blocked', holdIds: [holdId] });
    const c = await auth.components.store.forTenant(tenant);
    expect(await c.users.findOne({ _id: userId })).toMatchObject({
      email: 'otto@example.com',
      status: 'active',
    });
    const denied = await c.securityEvents.find({ action: 'auth.security.user-deletion-denied' }).toArray();
    expect(denied.flatMap((d) => (d._outbox ?? []).map((e) => e.payload))).toContainEqual(
      expect.objectContaining({
        outcome: 'denied',
        metadata: expect.objectContaining({ reason: 'legal-exemption', via: 'gdpr-erasure', userId }),
      }),
    );

    // Lifted: the compliance service resumes the erasure, and auth erases.
    const lifted = await compliance.call('POST', `/v1/tenants/${tenant}/legal-holds/${holdId}/lift`, {
      liftedBy: 'counsel@example.com',
      reason: 'case closed',
    });
    expect(lifted.status).toBe(200);
    const done = await eventually(
      () => job(requested.body.id),
      (r) => r.body.status === 'completed' || r.body.status === 'failed',
    );
    expect(done.body.status).toBe('completed');
    expect(done.body.participants.auth).toMatchObject({
      status: 'done',
      counts: { users: 1, sessionsRevoked: 1, sessionsRemoved: 1 },
    });
    const names = (await c.db.listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name);
    const stored = JSON.stringify(
      await Promise.all(
        names
          .filter((n) => ['users', 'sessions', 'invitations', 'security_events'].includes(n))
          .map((n) => c.db.collection(n).find({}).toArray()),
      ),
    );
    expect(stored).not.toContain('otto@example.com');
    expect(await c.sessions.countDocuments({ userId })).toBe(0);
    const refresh = await auth.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/token`,
      payload: { refreshToken: session.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
  });
});
