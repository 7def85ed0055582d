// Delivery requests (sign-up links and notices, invitations) leave through the outbox to the
// tenant's notifications topic on the real Kafka: sealed there, and a consumer holding the keyring
// opens them and can act on them (the link's token finishes the sign-up, the invitation's is
// accepted). They never go to the audit topic, and security events never go to notifications.
import {
  AuditRecordSubmitted,
  decodeEnvelope,
  type EventEnvelope,
  INVITATION_DELIVERY_PURPOSE,
  type InvitationDelivery,
  InvitationDeliveryRequested,
  parseEvent,
  SIGN_UP_DELIVERY_PURPOSE,
  SignUpAccountExists,
  type SignUpDelivery,
  SignUpVerificationRequested,
} from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger, eventually } from '@parley/kit/testing';
import type { OutboxRelay } from '@parley/outbox';
import { kafkaTopic } from '@parley/tenancy';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSettingsSchema } from './settings.ts';
import {
  type AuthFixture,
  bearer,
  openAuthFixture,
  PASSWORD,
  tenantOutboxRelay,
} from './testing/auth-fixture.ts';
import { topicForAuthEvent } from './workers/outbox-relay.ts';

const NEW_PASSWORD = 'a brand new passphrase 42';

let f: AuthFixture;
let kafka: KafkaConnection;
let relay: OutboxRelay;
let consumer: Consumer;
const received: { topic: string; event: EventEnvelope; raw: string; key: string }[] = [];
let topics: string[] = [];

beforeAll(async () => {
  f = await openAuthFixture();
  const config = loadConfig(authSettingsSchema);
  const logger = createSilentLogger();
  kafka = await connectKafka(kafkaSettingsFromConfig(config, 'auth-notifications-test'), logger);
  // What the operator's Kafka topics step makes for a tenant (here only the two auth writes to).
  topics = [kafkaTopic(f.tenant, 'notifications'), kafkaTopic(f.tenant, 'audit')];
  await kafka.admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
  relay = tenantOutboxRelay(f, kafka.producer);
  relay.start();
  consumer = kafka.kafka.consumer({ groupId: `auth-notifications-test.${f.tenant}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const raw = message.value?.toString() ?? '';
      received.push({ topic, event: decodeEnvelope(raw), raw, key: message.key?.toString() ?? '' });
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await relay?.stop();
  await kafka?.admin.deleteTopics({ topics }).catch(() => {});
  await kafka?.stop();
  await f?.close();
});

/** What a notifier does with a delivery request: open it with the tenant's key, bound to its id. */
async function open<T>(purpose: string, boundTo: string, sealed: string): Promise<T> {
  const plaintext = await f.keyring.decrypt(f.tenant, purpose, Buffer.from(sealed, 'base64'), {
    aad: Buffer.from(boundTo),
  });
  return JSON.parse(plaintext.toString()) as T;
}

const onTopic = (stream: string, type: string) =>
  received.filter((r) => r.topic === kafkaTopic(f.tenant, stream) && r.event.type === type);

describe('delivery requests on the notifications topic', () => {
  it('routes delivery requests to notifications and everything else to audit', () => {
    const tenant = 'acme';
    for (const type of [
      SignUpVerificationRequested.type,
      SignUpAccountExists.type,
      InvitationDeliveryRequested.type,
    ])
      expect(topicForAuthEvent({ tenant, type })).toBe('parley.acme.notifications');
    expect(topicForAuthEvent({ tenant, type: AuditRecordSubmitted.type })).toBe('parley.acme.audit');
  });

  it('carries sign-up links and notices and invitations, sealed, and a keyring holder can act on them', async () => {
    await f.register('admin@example.com', ['admin']);
    const admin = await f.login('admin@example.com');
    const opened = await f.app.inject({
      method: 'PUT',
      url: '/v1/admin/settings',
      headers: bearer(admin.accessToken),
      payload: { openSignUp: true },
    });
    expect(opened.statusCode).toBe(200);
    const signUp = (email: string) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/sign-up`,
        payload: { email, password: NEW_PASSWORD, displayName: 'Nina' },
      });
    expect((await signUp('nina@example.com')).statusCode).toBe(202);
    expect((await signUp('Admin@Example.com')).statusCode).toBe(202);
    const invited = await f.app.inject({
      method: 'POST',
      url: '/v1/admin/invitations',
      headers: bearer(admin.accessToken),
      payload: { email: 'Omar@example.com', roles: ['member', 'compliance-officer'] },
    });
    expect(invited.statusCode).toBe(201);
    // The API still answers the inviting admin with the token (InvitationResponseSchema).
    const answeredToken = invited.json().token as string;

    const [link] = await eventually(
      async () => onTopic('notifications', SignUpVerificationRequested.type),
      (found) => found.length >= 1,
    );
    const [notice] = await eventually(
      async () => onTopic('notifications', SignUpAccountExists.type),
      (found) => found.length >= 1,
    );
    // Two invitations: the admin's own (the fixture's register) and Omar's.
    const invitations = await eventually(
      async () => onTopic('notifications', InvitationDeliveryRequested.type),
      (found) => found.length >= 2,
    );
    if (!link || !notice) throw new Error('delivery requests missing');

    // The sign-up link opens to the address, name and token, and the token finishes the sign-up.
    const linkPayload = parseEvent(SignUpVerificationRequested, link.event).payload;
    const delivery = await open<SignUpDelivery>(
      SIGN_UP_DELIVERY_PURPOSE,
      linkPayload.signUpId,
      linkPayload.sealedDelivery,
    );
    expect(delivery).toMatchObject({ email: 'nina@example.com', displayName: 'Nina' });
    const verified = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up/verify`,
      payload: { token: delivery.token },
    });
    expect(verified.statusCode).toBe(201);
    await expect(f.login('nina@example.com', NEW_PASSWORD)).resolves.toHaveProperty('accessToken');

    const noticePayload = parseEvent(SignUpAccountExists, notice.event).payload;
    expect(
      await open<SignUpDelivery>(
        SIGN_UP_DELIVERY_PURPOSE,
        noticePayload.signUpId,
        noticePayload.sealedDelivery,
      ),
    ).toEqual({ email: 'Admin@Example.com' });

    // The invitation opens to the address, roles and the same token the admin was answered with.
    const omar = await Promise.all(
      invitations.map(async (r) => {
        const payload = parseEvent(InvitationDeliveryRequested, r.event).payload;
        return {
          payload,
          delivery: await open<InvitationDelivery>(
            INVITATION_DELIVERY_PURPOSE,
            payload.invitationId,
            payload.sealedDelivery,
          ),
        };
      }),
    ).then((all) => all.find((x) => x.delivery.email === 'Omar@example.com'));
    expect(omar?.delivery).toEqual({
      email: 'Omar@example.com',
      roles: ['member', 'compliance-officer'],
      token: answeredToken,
    });
    expect(omar?.payload.invitationId).toBe(invited.json().invitationId);
    const accepted = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/invitations/accept`,
      payload: { token: omar?.delivery.token, password: PASSWORD, displayName: 'Omar' },
    });
    expect(accepted.statusCode).toBe(201);
    // Bound to its own request: a delivery does not open as another's.
    await expect(
      open(INVITATION_DELIVERY_PURPOSE, linkPayload.signUpId, omar?.payload.sealedDelivery as string),
    ).rejects.toThrow();

    // The audit topic got the security events (the invitation's among them) and no delivery request.
    await eventually(
      async () =>
        received.filter(
          (r) =>
            r.topic === kafkaTopic(f.tenant, 'audit') &&
            (r.event.payload as { action?: string }).action === 'auth.security.user-invited',
        ),
      (found) => found.length >= 2,
    );
    const onAudit = received.filter((r) => r.topic === kafkaTopic(f.tenant, 'audit'));
    expect(onAudit.every((r) => r.event.type === AuditRecordSubmitted.type)).toBe(true);
    const onNotifications = received.filter((r) => r.topic === kafkaTopic(f.tenant, 'notifications'));
    expect(onNotifications.every((r) => r.event.type !== AuditRecordSubmitted.type)).toBe(true);

    // Nothing sensitive in the clear on either topic.
    const everything = received.map((r) => r.raw).join('\n');
    for (const secret of [
      'nina@example.com',
      'Admin@Example.com',
      'admin@example.com',
      'Omar@example.com',
      'omar@example.com',
      delivery.token as string,
      (delivery.token as string).split('.')[1] as string,
      answeredToken.split('.')[1] as string,
      NEW_PASSWORD,
      PASSWORD,
    ])
      expect(everything).not.toContain(secret);
  });
});
