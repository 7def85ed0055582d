/**
 * Conversations through the gateway as a client meets them (the SDK over real HTTP), in front of
 * the real auth and messaging services: two users of tenant A talk in a direct conversation, a
 * group and a channel; history, threads, reactions, edits, deletes, read pointers and unread
 * counts; a retried send does not duplicate; a non-member reads nothing; and a user of tenant B
 * with a valid token tries every id of tenant A and gets 404 for each.
 */
import { randomUUID } from 'node:crypto';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { openGatewayFixture } from '@parley/gateway-service/testing';
import { freePort } from '@parley/kit/testing';
import { createParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

let stack: GatewayStack;
let alice: SignedIn;
let bob: SignedIn;

beforeAll(async () => {
  stack = await openGatewayStack();
  [alice, bob] = await Promise.all([stack.user(stack.tenantA), stack.user(stack.tenantA)]);
});
afterAll(async () => {
  await stack?.close();
});

const cid = () => `c-${randomUUID()}`;

describe('two users of a tenant converse through the gateway', () => {
  it('in a direct conversation: send, reply in a thread, react, edit, delete, read, unread', async () => {
    const opened = await alice.client.POST('/api/v1/conversations/direct', { body: { userId: bob.userId } });
    expect(opened.response.status).toBe(201);
    const again = await bob.client.POST('/api/v1/conversations/direct', { body: { userId: alice.userId } });
    expect(again.response.status).toBe(200);
    const conversationId = opened.data?.id ?? '';
    expect(again.data?.id).toBe(conversationId);
    const path = { conversationId };

    const hello = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path },
      body: { clientMessageId: cid(), text: 'hello bob' },
    });
    expect(hello.response.status).toBe(201);
    const root = hello.data;
    if (!root) throw new Error('no message');
    const reply = await bob.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path },
      body: { clientMessageId: cid(), text: 'hi alice', parentId: root.id },
    });
    expect(reply.response.status).toBe(201);

    // Alice's message is unread for Bob.
    const unread = await bob.client.GET('/api/v1/unread');
    expect(
      unread.data?.conversations.find((c) => c.conversationId === conversationId)?.unread,
    ).toBeGreaterThan(0);

    const reacted = await bob.client.PUT(
      '/api/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}',
      { params: { path: { conversationId, messageId: root.id, emoji: 'thumbsup' } } },
    );
    expect(reacted.response.status).toBe(200);
    expect(reacted.data?.reactions.length).toBe(1);

    const edited = await alice.client.PATCH('/api/v1/conversations/{conversationId}/messages/{messageId}', {
      params: { path: { conversationId, messageId: root.id } },
      body: { text: 'hello bob (edited)' },
    });
    expect(edited.data?.text).toBe('hello bob (edited)');
    // Only the sender edits.
    const notHis = await bob.client.PATCH('/api/v1/conversations/{conversationId}/messages/{messageId}', {
      params: { path: { conversationId, messageId: root.id } },
      body: { text: 'forged' },
    });
    expect(notHis.response.status).toBe(403);

    const thread = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path, query: { parentId: root.id } },
    });
    expect(thread.data?.messages.map((m) => m.text)).toEqual(['hi alice']);

    const deleted = await alice.client.DELETE('/api/v1/conversations/{conversationId}/messages/{messageId}', {
      params: { path: { conversationId, messageId: root.id } },
    });
    expect(deleted.data).toMatchObject({ deleted: true });
    expect(deleted.data?.text).toBeUndefined();

    const history = await bob.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path },
    });
    const seen = history.data?.messages.find((m) => m.id === root.id);
    expect(seen).toMatchObject({ deleted: true });
    expect(JSON.stringify(history.data)).not.toContain('hello bob');

    const changes = await bob.client.GET('/api/v1/conversations/{conversationId}/changes', {
      params: { path, query: { since: 0 } },
    });
    const seqs = changes.data?.changes.map((c) => c.seq) ?? [];
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    const lastSeq = Math.max(...seqs);
    const read = await alice.client.PUT('/api/v1/conversations/{conversationId}/read', {
      params: { path },
      body: { seq: lastSeq },
    });
    expect(read.data).toMatchObject({ conversationId, readSeq: lastSeq, unread: 0 });

    const sidebar = await alice.client.GET('/api/v1/conversations');
    expect(sidebar.data?.conversations.map((c) => c.id)).toContain(conversationId);
  });

  it('does not duplicate a retried send', async () => {
    const opened = await alice.client.POST('/api/v1/conversations/direct', { body: { userId: bob.userId } });
    const path = { conversationId: opened.data?.id ?? '' };
    const body = { clientMessageId: cid(), text: 'once only' };
    const first = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path },
      body,
    });
    const retry = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path },
      body,
    });
    expect([first.response.status, retry.response.status]).toEqual([201, 200]);
    expect(retry.data?.id).toBe(first.data?.id);
    expect(retry.data?.seq).toBe(first.data?.seq);
  });

  it('in a group and a public channel; a non-member of the group reads nothing', async () => {
    const carol = await stack.user(stack.tenantA);
    const group = await alice.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'planning', memberIds: [bob.userId] },
    });
    expect(group.response.status).toBe(201);
    const groupPath = { conversationId: group.data?.id ?? '' };
    await bob.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: groupPath },
      body: { clientMessageId: cid(), text: 'secret plan' },
    });
    const outsider = await carol.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: groupPath },
    });
    expect(outsider.response.status).toBe(404);

    const channel = await alice.client.POST('/api/v1/conversations', {
      body: { kind: 'channel', name: `general-${randomUUID().slice(0, 6)}`, visibility: 'public' },
    });
    const channelPath = { conversationId: channel.data?.id ?? '' };
    const listed = await carol.client.GET('/api/v1/channels');
    expect(listed.data?.channels.map((c) => c.id)).toContain(channelPath.conversationId);
    const joined = await carol.client.POST('/api/v1/conversations/{conversationId}/join', {
      params: { path: channelPath },
    });
    expect(joined.response.status).toBe(200);
    const said = await carol.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: channelPath },
      body: { clientMessageId: cid(), text: 'hello all' },
    });
    expect(said.response.status).toBe(201);
    const members = await alice.client.GET('/api/v1/conversations/{conversationId}/members', {
      params: { path: channelPath },
    });
    expect(members.data?.members.map((m) => m.userId).sort()).toEqual([alice.userId, carol.userId].sort());
    // Each with the display name they chose (stack.user accepts with the e-mail's local part), from auth.
    const named = new Map(members.data?.members.map((m) => [m.userId, m.displayName]));
    expect(named.get(alice.userId)).toBe(alice.email.split('@')[0]);
    expect(named.get(carol.userId)).toBe(carol.email.split('@')[0]);
  });

  it('admits the tenant roles that converse: a compliance officer alone does not', async () => {
    const officer = await stack.user(stack.tenantA, ['compliance-officer']);
    const refused = await officer.client.GET('/api/v1/conversations');
    expect(refused.response.status).toBe(403);
  });
});

describe('a user of another tenant', () => {
  it("gets 404 for every one of tenant A's resource ids, with a valid token of its own", async () => {
    const opened = await alice.client.POST('/api/v1/conversations', {
      body: { kind: 'channel', name: `open-${randomUUID().slice(0, 6)}`, visibility: 'public' },
    });
    const conversationId = opened.data?.id ?? '';
    const sent = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: cid(), text: 'tenant A only' },
    });
    const messageId = sent.data?.id ?? '';
    const mallory = await stack.user(stack.tenantB);
    const m = mallory.client;
    const path = { conversationId };
    const messagePath = { conversationId, messageId };
    const attempts = {
      getConversation: await m.GET('/api/v1/conversations/{conversationId}', { params: { path } }),
      updateConversation: await m.PATCH('/api/v1/conversations/{conversationId}', {
        params: { path },
        body: { name: 'pwned' },
      }),
      listMembers: await m.GET('/api/v1/conversations/{conversationId}/members', { params: { path } }),
      addMember: await m.POST('/api/v1/conversations/{conversationId}/members', {
        params: { path },
        body: { userId: mallory.userId },
      }),
      removeMember: await m.DELETE('/api/v1/conversations/{conversationId}/members/{userId}', {
        params: { path: { conversationId, userId: alice.userId } },
      }),
      join: await m.POST('/api/v1/conversations/{conversationId}/join', { params: { path } }),
      listMessages: await m.GET('/api/v1/conversations/{conversationId}/messages', { params: { path } }),
      send: await m.POST('/api/v1/conversations/{conversationId}/messages', {
        params: { path },
        body: { clientMessageId: cid(), text: 'intrusion' },
      }),
      getMessage: await m.GET('/api/v1/conversations/{conversationId}/messages/{messageId}', {
        params: { path: messagePath },
      }),
      editMessage: await m.PATCH('/api/v1/conversations/{conversationId}/messages/{messageId}', {
        params: { path: messagePath },
        body: { text: 'rewritten' },
      }),
      deleteMessage: await m.DELETE('/api/v1/conversations/{conversationId}/messages/{messageId}', {
        params: { path: messagePath },
      }),
      react: await m.PUT('/api/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}', {
        params: { path: { ...messagePath, emoji: 'x' } },
      }),
      unreact: await m.DELETE(
        '/api/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}',
        {
          params: { path: { ...messagePath, emoji: 'x' } },
        },
      ),
      changes: await m.GET('/api/v1/conversations/{conversationId}/changes', {
        params: { path, query: { since: 0 } },
      }),
      markRead: await m.PUT('/api/v1/conversations/{conversationId}/read', {
        params: { path },
        body: { seq: 1 },
      }),
    };
    const statuses = Object.fromEntries(
      Object.entries(attempts).map(([name, a]) => [name, a.response.status]),
    );
    expect(statuses).toEqual(Object.fromEntries(Object.keys(attempts).map((name) => [name, 404])));
    // Nothing of A is in B's lists, and A's conversation is as it was.
    const channels = await m.GET('/api/v1/channels');
    expect(channels.data?.channels.map((c) => c.id)).not.toContain(conversationId);
    const intact = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path },
    });
    expect(intact.data?.messages.map((x) => x.text)).toEqual(['tenant A only']);
    expect(
      (await alice.client.GET('/api/v1/conversations/{conversationId}', { params: { path } })).data?.name,
    ).not.toBe('pwned');
  });
});

describe('messaging down', () => {
  it('answers 503 for the messaging routes only', async () => {
    const down = await openGatewayFixture({
      AUTH_URL: stack.authUrl,
      COMPLIANCE_URL: stack.complianceUrl,
      MESSAGING_URL: `http://127.0.0.1:${await freePort()}`,
      AUTH_ISSUER: stack.auth.policy.issuer,
      AUTH_AUDIENCE: stack.auth.policy.audience,
      SERVICE_TOKEN,
    });
    try {
      const client = createParleyClient({ baseUrl: down.url, accessToken: alice.accessToken });
      const refused = await client.GET('/api/v1/conversations');
      expect(refused.response.status).toBe(503);
      expect(refused.error).toMatchObject({
        type: 'https://parley.dev/problems/service-unavailable',
        service: 'messaging',
      });
      expect((await client.GET('/api/v1/me')).response.status).toBe(200);
    } finally {
      await down.close();
    }
  });
});
