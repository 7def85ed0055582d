/**
 * The gateway in front of real services, for tests that call it as a client would: the auth and
 * compliance services as their fixtures assemble them (as main.ts does), each listening on a real
 * port, the gateway pointed at them, two tenants provisioned as the operator would (runtime
 * record) and a way to make users in either. Clients are the SDK.
 */
import { randomUUID } from 'node:crypto';
import type { AuthPolicy } from '@parley/auth-service/settings';
import { type AuthFixture, openAuthFixture, PASSWORD, SERVICE_TOKEN } from '@parley/auth-service/testing';
import { type ComplianceFixture, openComplianceFixture } from '@parley/compliance-service/testing';
import { type GatewayConfig, type GatewayFixture, openGatewayFixture } from '@parley/gateway-service/testing';
import type { ServiceApp } from '@parley/kit';
import type { AttachmentBinder } from '@parley/messaging-service/src/domain/attachment-binder.ts';
import {
  type MessagingFixture,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { createParleyClient, type ParleyClient } from '@parley/sdk';
import { redisKeyPrefix, tenantRuntimeKey } from '@parley/tenancy';

export interface SignedIn {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  /** The SDK with this user's token. */
  client: ParleyClient;
}

export interface GatewayStack {
  gateway: GatewayFixture;
  auth: AuthFixture;
  compliance: ComplianceFixture;
  /** The compliance app the gateway calls (the fixture's, accepting the gateway's credential). */
  complianceApp: ServiceApp;
  messaging: MessagingFixture;
  /** The messaging app the gateway calls (over the fixture's components, the gateway's credential). */
  messagingApp: ServiceApp;
  authUrl: string;
  complianceUrl: string;
  messagingUrl: string;
  tenantA: string;
  tenantB: string;
  /** The SDK without a token. */
  anonymous: ParleyClient;
  /** Invites (as the operator would), accepts through the gateway, signs in through the gateway. */
  user(tenant: string, roles?: ('member' | 'admin' | 'compliance-officer')[]): Promise<SignedIn>;
  client(accessToken?: string): ParleyClient;
  close(): Promise<void>;
}

export async function openGatewayStack(
  settings: Partial<GatewayConfig> = {},
  /** `authPolicy`: auth's policy overrides (e.g. a local http OpenID provider allowed). */
  /**
   * `attachments`: how messaging binds a send's uploads (the media service's binder, for tests
   * with files); without it, messaging's default (MEDIA_URL).
   */
  options: { authPolicy?: Partial<AuthPolicy>; attachments?: AttachmentBinder } = {},
): Promise<GatewayStack> {
  const compliance = await openComplianceFixture();
  const tenantA = await compliance.tenant();
  const tenantB = await compliance.tenant();
  const auth = await openAuthFixture(options.authPolicy ?? {}, { tenant: tenantA });
  const authUrl = await auth.app.listen({ host: '127.0.0.1', port: 0 });
  // The gateway presents one credential to every service: the compliance app accepts it.
  const complianceApp = compliance.newApp({ callers: SERVICE_TOKEN });
  const complianceUrl = await complianceApp.listen({ host: '127.0.0.1', port: 0 });
  const messaging = await openMessagingFixture({ tenant: tenantA });
  await messaging.keyring.ensureTenantKey(tenantB);
  const messagingApp = await messaging.newApp({
    callers: SERVICE_TOKEN,
    ...(options.attachments ? { attachments: options.attachments } : {}),
  });
  const messagingUrl = await messagingApp.listen({ host: '127.0.0.1', port: 0 });
  const gateway = await openGatewayFixture({
    AUTH_URL: authUrl,
    COMPLIANCE_URL: complianceUrl,
    MESSAGING_URL: messagingUrl,
    AUTH_ISSUER: auth.policy.issuer,
    AUTH_AUDIENCE: auth.policy.audience,
    SERVICE_TOKEN,
    ...settings,
  });
  const client = (accessToken?: string) =>
    createParleyClient({ baseUrl: gateway.url, ...(accessToken ? { accessToken } : {}) });
  const anonymous = client();

  return {
    gateway,
    auth,
    compliance,
    complianceApp,
    messaging,
    messagingApp,
    authUrl,
    complianceUrl,
    messagingUrl,
    tenantA,
    tenantB,
    anonymous,
    client,
    async user(tenant, roles = ['member']) {
      const email = `u-${randomUUID().slice(0, 8)}@${tenant}.example`;
      const invited = await auth.app.inject({
        method: 'POST',
        url: `/v1/internal/tenants/${tenant}/invitations`,
        headers: { 'x-service-token': SERVICE_TOKEN },
        payload: { email, roles },
      });
      if (invited.statusCode !== 201) throw new Error(`invite failed: ${invited.statusCode} ${invited.body}`);
      const accepted = await anonymous.POST('/api/v1/tenants/{tenant}/invitations/accept', {
        params: { path: { tenant } },
        body: { token: invited.json().token, password: PASSWORD, displayName: email.split('@')[0] ?? 'user' },
      });
      if (!accepted.data) throw new Error(`accept failed: ${JSON.stringify(accepted.error)}`);
      const signedIn = await anonymous.POST('/api/v1/tenants/{tenant}/login', {
        params: { path: { tenant } },
        body: { email, password: PASSWORD },
      });
      const pair = signedIn.data;
      if (!pair || !('accessToken' in pair))
        throw new Error(`sign-in failed: ${JSON.stringify(signedIn.error)}`);
      return {
        userId: accepted.data.id,
        email,
        accessToken: pair.accessToken,
        refreshToken: pair.refreshToken,
        sessionId: pair.sessionId,
        client: client(pair.accessToken),
      };
    },
    async close() {
      await gateway.close();
      await complianceApp.close();
      await messagingApp.close();
      await messaging.close();
      // Tenant B's auth keys in Redis (tenant A's go with the auth fixture).
      const redis = compliance.redis;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisKeyPrefix(tenantB)}*`, 'COUNT', 500);
        cursor = next;
        const mine = keys.filter((key) => key !== tenantRuntimeKey(tenantB));
        if (mine.length > 0) await redis.del(...mine);
      } while (cursor !== '0');
      await auth.close();
      await compliance.close();
    },
  };
}
