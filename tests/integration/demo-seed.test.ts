import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../dev/src/commands/demo-seed.ts';
import { type GatewayStack, openGatewayStack } from './gateway-stack.ts';

// npm start's demo seed against the real auth, messaging and gateway: people who sign in with the
// printed password, and conversations the first admin already belongs to.
describe("npm start's demo seed", () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await openGatewayStack();
  }, 60_000);
  afterAll(async () => stack?.close());

  it('seeds people and conversations once, with the admin as a member', async () => {
    const admin = await stack.user(stack.tenantA, ['admin']);
    const target = {
      tenant: stack.tenantA,
      authUrl: stack.authUrl,
      gatewayUrl: stack.gateway.url,
      operatorToken: SERVICE_TOKEN,
      adminUserId: admin.userId,
    };
    const lines = (await seedDemo(target, AbortSignal.timeout(30_000))).join('\n');
    expect(lines).toContain('password parley-demo-password');
    expect(lines).toContain('#general');

    const { data } = await admin.client.GET('/api/v1/conversations', {});
    const names = (data?.conversations ?? []).map((c) => c.name ?? c.kind).sort();
    expect(names).toEqual(['Launch plan', 'direct', 'general']);
    const general = data?.conversations.find((c) => c.name === 'general');
    const history = await admin.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: String(general?.id) } },
    });
    expect(history.data?.messages).toHaveLength(3);

    // A second start finds them and adds nothing.
    const again = (await seedDemo(target, AbortSignal.timeout(30_000))).join('\n');
    expect(again).toContain('already there');
    const after = await admin.client.GET('/api/v1/conversations', {});
    expect(after.data?.conversations).toHaveLength(3);
  }, 60_000);
});
