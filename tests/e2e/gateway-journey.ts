/**
 * The end-to-end journey through the public API, against any running Parley: the kind CI
 * workflow runs it (journey.ts, its command line) on the cluster's gateway NodePort after the sample Tenant is
 * Ready; gateway-journey.test.ts runs it against the gateway and services on the local stack, so
 * what CI runs is proved here too. Only the invitation is asked of auth directly, with the
 * operator's credential, as the operator invites a Tenant's admins; everything else goes through
 * the gateway as a client would: accept, sign in, open a channel, send, read back, and the
 * refusal of a reader without a token.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createParleyClient } from '@parley/sdk';

export interface JourneyTarget {
  gatewayUrl: string;
  /** auth's own address (a port-forward on a cluster): the invitation is an internal route. */
  authUrl: string;
  operatorToken: string;
  tenant: string;
}

function check(condition: unknown, what: string, detail?: unknown): asserts condition {
  if (!condition) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

/** Runs the journey; each line says what was proved. Throws naming the step that failed. */
export async function gatewayJourney(target: JourneyTarget): Promise<string[]> {
  const lines: string[] = [];
  const { tenant } = target;
  const anonymous = createParleyClient({ baseUrl: target.gatewayUrl });
  const health = await fetch(`${target.gatewayUrl}/ready`);
  check(health.ok, 'the gateway is not ready', health.status);

  const email = `e2e-${randomUUID().slice(0, 8)}@${tenant}.example`;
  const password = randomBytes(18).toString('base64url');
  const invited = await fetch(`${target.authUrl}/v1/internal/tenants/${tenant}/invitations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-service-token': target.operatorToken },
    body: JSON.stringify({ email, roles: ['member'], invitedBy: 'e2e journey' }),
  });
  const invitation = (await invited.json()) as { token?: string };
  check(invited.status === 201 && invitation.token, 'auth did not invite', {
    status: invited.status,
    invitation,
  });
  const accepted = await anonymous.POST('/api/v1/tenants/{tenant}/invitations/accept', {
    params: { path: { tenant } },
    body: { token: invitation.token, password, displayName: 'E2E Journey' },
  });
  check(accepted.data, 'accepting the invitation through the gateway failed', accepted.error);
  const signedIn = await anonymous.POST('/api/v1/tenants/{tenant}/login', {
    params: { path: { tenant } },
    body: { email, password },
  });
  const pair = signedIn.data;
  check(pair && 'accessToken' in pair, 'signing in through the gateway failed', signedIn.error);
  lines.push(`${email} invited, accepted and signed in through the gateway`);

  const client = createParleyClient({ baseUrl: target.gatewayUrl, accessToken: pair.accessToken });
  const channel = await client.POST('/api/v1/conversations', {
    body: { kind: 'channel', name: `e2e-${randomUUID().slice(0, 6)}`, visibility: 'public' },
  });
  check(channel.response.status === 201 && channel.data, 'opening a channel failed', channel.error);
  const conversationId = channel.data.id;
  const text = `end to end ${randomUUID()}`;
  const sent = await client.POST('/api/v1/conversations/{conversationId}/messages', {
    params: { path: { conversationId } },
    body: { clientMessageId: randomUUID(), text },
  });
  check(sent.response.status === 201, 'sending a message failed', sent.error);
  const history = await client.GET('/api/v1/conversations/{conversationId}/messages', {
    params: { path: { conversationId } },
  });
  const texts = history.data?.messages.map((m) => m.text) ?? [];
  check(texts.includes(text), 'the message sent is not read back', history.data ?? history.error);
  lines.push(`a channel opened, a message sent and read back (conversation ${conversationId})`);

  const noToken = await anonymous.GET('/api/v1/conversations/{conversationId}/messages', {
    params: { path: { conversationId } },
  });
  check(noToken.response.status === 401, 'reading without a token was not refused', noToken.response.status);
  lines.push('reading without a token is refused (401)');
  return lines;
}
