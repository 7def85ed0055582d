// Conversations and members on the real Mongo-wire server and Redis: one direct conversation per
// pair however it is asked, groups and channels, roles, and who may see what (the attacks performed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('direct conversations', () => {
  it('are exactly one per pair, from either side, under concurrent creation', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? f.call('ann', 'POST', '/conversations/direct', { userId: 'bob' })
          : f.call('bob', 'POST', '/conversations/direct', { userId: 'ann' }),
      ),
    );
    for (const answer of answers) expect([200, 201]).toContain(answer.statusCode);
    const ids = new Set(answers.map((a) => a.json().id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.statusCode === 201).length).toBe(1);
    const [id] = [...ids];
    expect(await f.db.collection('conversations').countDocuments({ participants: ['ann', 'bob'] })).toBe(1);
    expect(await f.db.collection('members').countDocuments({ conversationId: id, active: true })).toBe(2);
    const again = await f.call('bob', 'POST', '/conversations/direct', { userId: 'ann' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id, kind: 'direct', participants: ['ann', 'bob'] });
  });

  it('refuses a conversation with oneself', async () => {
    const answer = await f.call('ann', 'POST', '/conversations/direct', { userId: 'ann' });
    expect(answer.statusCode).toBe(400);
  });
});

describe('groups and channels', () => {
  it('makes the creator owner, adds members, and hides the group from others (404, like no id at all)', async () => {
    const created = await f.call('ann', 'POST', '/conversations', {
      kind: 'group',
      name: 'Plans',
      topic: 'Q3',
      memberIds: ['bob'],
    });
    expect(created.statusCode).toBe(201);
    const group = created.json();
    expect(group).toMatchObject({ kind: 'group', name: 'Plans', topic: 'Q3', membership: { role: 'owner' } });
    expect((await f.call('bob', 'GET', `/conversations/${group.id}`)).statusCode).toBe(200);
    const stranger = await f.call('eve', 'GET', `/conversations/${group.id}`);
    const unknown = await f.call('eve', 'GET', '/conversations/g_doesnotexist');
    expect(stranger.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(stranger.json().type).toBe(unknown.json().type);
    expect((await f.call('eve', 'GET', `/conversations/${group.id}/members`)).statusCode).toBe(404);
    const members = await f.call('bob', 'GET', `/conversations/${group.id}/members`);
    expect(
      members
        .json()
        .members.map((m: { userId: string }) => m.userId)
        .sort(),
    ).toEqual(['ann', 'bob']);
  });

  it('lets only owners and admins manage, and only the owner grant admin', async () => {
    const group = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Team', memberIds: ['bob'] })
    ).json();
    expect(
      (await f.call('bob', 'POST', `/conversations/${group.id}/members`, { userId: 'cat' })).statusCode,
    ).toBe(403);
    expect((await f.call('bob', 'PATCH', `/conversations/${group.id}`, { name: 'Mine' })).statusCode).toBe(
      403,
    );
    expect(
      (await f.call('ann', 'POST', `/conversations/${group.id}/members`, { userId: 'cat' })).statusCode,
    ).toBe(200);
    expect(
      (await f.call('ann', 'PATCH', `/conversations/${group.id}/members/bob`, { role: 'admin' })).json(),
    ).toMatchObject({ role: 'admin' });
    expect(
      (await f.call('bob', 'POST', `/conversations/${group.id}/members`, { userId: 'dan', role: 'admin' }))
        .statusCode,
    ).toBe(403);
    expect((await f.call('bob', 'DELETE', `/conversations/${group.id}/members/ann`)).statusCode).toBe(403);
    expect((await f.call('bob', 'DELETE', `/conversations/${group.id}/members/cat`)).statusCode).toBe(204);
    expect((await f.call('cat', 'GET', `/conversations/${group.id}`)).statusCode).toBe(404);
    const renamed = await f.call('bob', 'PATCH', `/conversations/${group.id}`, {
      name: 'Team 2',
      topic: 'new',
    });
    expect(renamed.json()).toMatchObject({ name: 'Team 2', topic: 'new' });
    // A tenant admin may manage a group it is a member of, whatever its role there.
    await f.call('ann', 'POST', `/conversations/${group.id}/members`, { userId: 'root' });
    expect(
      (
        await f.call('root', 'PATCH', `/conversations/${group.id}`, { archived: true }, { roles: ['admin'] })
      ).json(),
    ).toMatchObject({ archived: true });
    const send = await f.call('ann', 'POST', `/conversations/${group.id}/messages`, {
      clientMessageId: 'x1',
      text: 'late',
    });
    expect(send.statusCode).toBe(403);
  });

  it('lists public channels to anyone, lets them join, and keeps private channels and removed members out', async () => {
    const open = (await f.call('ann', 'POST', '/conversations', { kind: 'channel', name: 'general' })).json();
    const closed = (
      await f.call('ann', 'POST', '/conversations', {
        kind: 'channel',
        name: 'secret',
        visibility: 'private',
      })
    ).json();
    expect(open.visibility).toBe('public');
    const listed = (await f.call('eve', 'GET', '/channels')).json().channels.map((c: { id: string }) => c.id);
    expect(listed).toContain(open.id);
    expect(listed).not.toContain(closed.id);
    expect((await f.call('eve', 'POST', `/conversations/${closed.id}/join`)).statusCode).toBe(404);
    expect((await f.call('eve', 'POST', `/conversations/${open.id}/join`)).json()).toMatchObject({
      userId: 'eve',
      role: 'member',
    });
    expect((await f.call('eve', 'GET', `/conversations/${open.id}`)).statusCode).toBe(200);
    expect((await f.call('ann', 'DELETE', `/conversations/${open.id}/members/eve`)).statusCode).toBe(204);
    expect((await f.call('eve', 'POST', `/conversations/${open.id}/join`)).statusCode).toBe(403);
    // Leaving is one's own choice, and re-joining after it is allowed.
    await f.call('fay', 'POST', `/conversations/${open.id}/join`);
    expect((await f.call('fay', 'DELETE', `/conversations/${open.id}/members/fay`)).statusCode).toBe(204);
    expect((await f.call('fay', 'POST', `/conversations/${open.id}/join`)).statusCode).toBe(200);
  });

  it('refuses bad input with problem details, never a 5xx', async () => {
    const cases = [
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: '' }),
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'x', extra: 1 }),
      await f.call('ann', 'POST', '/conversations', { kind: 'direct', name: 'x' }),
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'x', visibility: 'public' }),
      await f.call('ann', 'POST', '/conversations/direct', { userId: 'a b' }),
      await f.call('ann', 'PATCH', '/conversations/g_x', {}),
      await f.call('ann', 'GET', '/conversations?limit=100000'),
      await f.call('bad user', 'GET', '/conversations'),
    ];
    for (const answer of cases) {
      expect(answer.statusCode).toBe(400);
      expect(answer.headers['content-type']).toContain('application/problem+json');
    }
  });
});

describe('the caller', () => {
  it('needs the service credential and a user header', async () => {
    const bare = await f.app.inject({
      method: 'GET',
      url: `/v1/tenants/${f.tenant}/conversations`,
      headers: { 'x-parley-user': 'ann' },
    });
    expect(bare.statusCode).toBe(401);
    const noUser = await f.app.inject({
      method: 'GET',
      url: `/v1/tenants/${f.tenant}/conversations`,
      headers: { 'x-service-token': 'test-messaging-service-token-0123456789' },
    });
    expect(noUser.statusCode).toBe(400);
  });

  it('is refused for a suspended or unknown tenant', async () => {
    expect(
      (await f.call('ann', 'GET', '/conversations', undefined, { tenant: 'nosuchtenant1' })).statusCode,
    ).toBe(404);
    const { writeTenantRuntimeRecord } = await import('@parley/tenancy');
    await writeTenantRuntimeRecord(f.redis.client, f.tenant, {
      status: 'Suspended',
      plan: 'team',
      quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
      generation: 2,
    });
    try {
      expect((await f.call('ann', 'GET', '/conversations')).statusCode).toBe(403);
    } finally {
      await writeTenantRuntimeRecord(f.redis.client, f.tenant, {
        status: 'Ready',
        plan: 'team',
        quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
        generation: 3,
      });
    }
  });
});
