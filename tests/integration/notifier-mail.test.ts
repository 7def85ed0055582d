// Mail that really leaves, across services on the real stack: auth writes delivery requests to its
// outbox, the relay publishes them to the tenant's notifications topic on Kafka, the notifier opens
// them with the tenant's keyring and sends them over SMTP to Mailpit, where this test reads them
// (its /api/v1 API) as a person would read their inbox. The person then acts on each link through
// the gateway with the SDK: an invitation sets a password and signs in; a password reset works
// once, for an account only (an unknown address gets the same answer and no mail), and ends every
// session of the account.
import { randomUUID } from 'node:crypto';
import {
  type AuthFixture,
  openAuthFixture,
  SERVICE_TOKEN,
  tenantOutboxRelay,
} from '@parley/auth-service/testing';
import { type GatewayFixture, openGatewayFixture } from '@parley/gateway-service/testing';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { tokenOfLink } from '@parley/notifier-service/mail-links';
import { Mailpit, type ReceivedMail } from '@parley/notifier-service/mailpit';
import { notifierSettingsSchema } from '@parley/notifier-service/settings';
import { type NotifierFixture, openNotifierFixture } from '@parley/notifier-service/testing';
import type { OutboxRelay } from '@parley/outbox';
import { createParleyClient, type ParleyClient } from '@parley/sdk';
import { kafkaTopic } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackSetting } from '../setup/stack-env.ts';

const PASSWORD = 'my own invitation passphrase';
const NEW_PASSWORD = 'a reset passphrase of mine';

let auth: AuthFixture;
let kafka: KafkaConnection;
let relay: OutboxRelay;
let notifier: NotifierFixture;
let gateway: GatewayFixture;
let sdk: ParleyClient;
let tenant: string;
let topics: string[];
const mailpit = new Mailpit(stackSetting('MAILPIT_URL'));
const used: string[] = [];
const address = (label: string) => {
  const email = `${label}-${randomUUID().slice(0, 8)}@${tenant}.example`;
  used.push(email);
  return email;
};

/** The link a mail carries (its text part), and the token in it. */
function linkIn(mail: ReceivedMail | undefined, route: string): { link: string; token: string } {
  const link = new RegExp(`(https?://\\S+#/${route}\\?\\S+)`).exec(mail?.text ?? '')?.[1];
  const token = link ? tokenOfLink(link) : undefined;
  if (!link || !token) throw new Error(`no ${route} link in ${JSON.stringify(mail?.text)}`);
  return { link, token };
}

async function invite(email: string) {
  const invited = await auth.app.inject({
    method: 'POST',
    url: `/v1/internal/tenants/${tenant}/invitations`,
    headers: { 'x-service-token': SERVICE_TOKEN },
    payload: { email, roles: ['member'] },
  });
  expect(invited.statusCode).toBe(201);
}

async function signIn(email: string, password: string) {
  const { data, error, response } = await sdk.POST('/api/v1/tenants/{tenant}/login', {
    params: { path: { tenant } },
    body: { email, password },
  });
  return { pair: data && 'accessToken' in data ? data : undefined, error, status: response.status };
}

/** A member who accepted their mailed invitation. */
async function member(label: string): Promise<string> {
  const email = address(label);
  await invite(email);
  const [mail] = await mailpit.waitForMail(email);
  const { token } = linkIn(mail, 'invitation');
  const accepted = await sdk.POST('/api/v1/tenants/{tenant}/invitations/accept', {
    params: { path: { tenant } },
    body: { token, password: PASSWORD, displayName: label },
  });
  expect(accepted.response.status).toBe(201);
  return email;
}

beforeAll(async () => {
  auth = await openAuthFixture();
  tenant = auth.tenant;
  const authUrl = await auth.app.listen({ host: '127.0.0.1', port: 0 });
  const settings = loadConfig(notifierSettingsSchema);
  kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'notifier-mail-test'), createSilentLogger());
  topics = [kafkaTopic(tenant, 'notifications'), kafkaTopic(tenant, 'audit')];
  await kafka.admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
  relay = tenantOutboxRelay(auth, kafka.producer);
  relay.start();
  notifier = await openNotifierFixture({
    tenant,
    keyring: auth.keyring,
    mongo: auth.mongo,
    redis: auth.redis,
    kafka,
    serviceToken: SERVICE_TOKEN,
  });
  gateway = await openGatewayFixture({
    AUTH_URL: authUrl,
    AUTH_ISSUER: auth.policy.issuer,
    AUTH_AUDIENCE: auth.policy.audience,
    SERVICE_TOKEN,
  });
  sdk = createParleyClient({ baseUrl: gateway.url });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await notifier?.close();
  await relay?.stop();
  await kafka?.admin.deleteTopics({ topics }).catch(() => {});
  await kafka?.stop();
  for (const email of used) await mailpit.deleteTo(email).catch(() => {});
  await auth?.close();
});

describe('mail through the SMTP server', () => {
  it('an invitation mail arrives; its link sets a password, and the invitee signs in', async () => {
    const email = address('omar');
    await invite(email);
    const [mail] = await mailpit.waitForMail(email);
    expect(mail?.subject).toBe(`You are invited to ${tenant} on Parley`);
    expect(mail?.html).toContain('#/invitation?tenant=');
    const { link, token } = linkIn(mail, 'invitation');
    expect(new URL(link).hash).toContain(`tenant=${tenant}`);

    const accepted = await sdk.POST('/api/v1/tenants/{tenant}/invitations/accept', {
      params: { path: { tenant } },
      body: { token, password: PASSWORD, displayName: 'Omar' },
    });
    expect(accepted.response.status).toBe(201);
    expect(accepted.data?.email).toBe(email.toLowerCase());
    const { pair } = await signIn(email, PASSWORD);
    expect(pair?.accessToken).toBeTruthy();
  });

  it('a reset mail arrives for a known address; an unknown one gets the same answer and no mail', async () => {
    const known = await member('known');
    const unknown = address('unknown');
    const ask = (email: string) =>
      sdk.POST('/api/v1/tenants/{tenant}/password-reset', { params: { path: { tenant } }, body: { email } });
    const [forUnknown, forKnown] = [await ask(unknown), await ask(known)];
    expect(forKnown.response.status).toBe(202);
    expect(forUnknown.response.status).toBe(202);
    expect(forUnknown.data).toEqual(forKnown.data);

    const [mail] = await mailpit
      .waitForMail(known, { count: 2 })
      .then((all) => all.filter((m) => m.subject === `Reset your ${tenant} password`));
    expect(mail?.text).toContain('Hello known,');
    linkIn(mail, 'password-reset');
    // The unknown address was asked about first: by the time the known one's mail is here, any
    // mail for it would have been too.
    expect(await mailpit.summariesTo(unknown)).toHaveLength(0);
  });

  it('a reset link works once and ends every earlier session', async () => {
    const email = await member('resetter');
    const first = await signIn(email, PASSWORD);
    const second = await signIn(email, PASSWORD);
    if (!first.pair || !second.pair) throw new Error('sign-in failed');

    await sdk.POST('/api/v1/tenants/{tenant}/password-reset', {
      params: { path: { tenant } },
      body: { email },
    });
    const mails = await mailpit.waitForMail(email, { count: 2 });
    const { token } = linkIn(
      mails.find((m) => m.subject.startsWith('Reset your')),
      'password-reset',
    );
    const confirm = (password: string) =>
      sdk.POST('/api/v1/tenants/{tenant}/password-reset/confirm', {
        params: { path: { tenant } },
        body: { token, password },
      });
    expect((await confirm(NEW_PASSWORD)).response.status).toBe(204);
    const again = await confirm('someone else passphrase');
    expect(again.response.status).toBe(400);
    expect(again.error).toMatchObject({ type: 'https://parley.dev/problems/invalid-password-reset-token' });

    for (const old of [first.pair, second.pair]) {
      const me = await createParleyClient({ baseUrl: gateway.url, accessToken: old.accessToken }).GET(
        '/api/v1/me',
      );
      expect(me.response.status).toBe(401);
      const refreshed = await sdk.POST('/api/v1/tenants/{tenant}/token', {
        params: { path: { tenant } },
        body: { refreshToken: old.refreshToken },
      });
      expect(refreshed.response.status).toBe(401);
    }
    expect((await signIn(email, PASSWORD)).status).toBe(401);
    expect((await signIn(email, NEW_PASSWORD)).pair?.accessToken).toBeTruthy();
  });

  it('a sign-in from a new device mails a notice; the same device again does not', async () => {
    const email = await member('traveller');
    const from = (userAgent: string) =>
      createParleyClient({ baseUrl: gateway.url, headers: { 'user-agent': userAgent } }).POST(
        '/api/v1/tenants/{tenant}/login',
        { params: { path: { tenant } }, body: { email, password: PASSWORD } },
      );
    // The account's first device is only recorded (the person just joined).
    expect((await from('ParleyDesk/1.0 (Linux)')).response.status).toBe(200);
    expect((await from('ParleyDesk/1.0 (Linux)')).response.status).toBe(200);
    expect((await from('Mozilla/5.0 (iPhone) Mobile Safari')).response.status).toBe(200);
    const mails = await mailpit.waitForMail(email, { count: 2 });
    const notices = mails.filter((m) => m.subject === `New sign-in to your ${tenant} account`);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain('Mozilla/5.0 (iPhone) Mobile Safari');
    expect(notices[0]?.text).toContain('Hello traveller,');
    expect(notices[0]?.text).toContain('#/account?tenant=');
    // Known devices stay quiet: a later sign-in from either sends nothing more.
    expect((await from('ParleyDesk/1.0 (Linux)')).response.status).toBe(200);
    expect((await from('Mozilla/5.0 (iPhone) Mobile Safari')).response.status).toBe(200);
    const marker = address('marker');
    await invite(marker);
    await mailpit.waitForMail(marker);
    expect((await mailpit.summariesTo(email)).length).toBe(2);
  });
});
