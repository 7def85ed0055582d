// The whole sidebar, however many conversations: a user in 5,010 conversations (more than the
// 5,000 memberships the sidebar used to read, silently dropping the rest) sees the newest one
// first with its unread count, finds it in /unread, and gets every one exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

const BULK = 5_010;

describe('the sidebar of a user in more than 5,000 conversations', () => {
  it('lists every conversation, the newest activity first, with its unread count', async () => {
    // Written as messaging writes them, in bulk (5,010 API calls would take minutes here), and
    // before the live one, so the live one comes after the first 5,000 in natural order.
    const old = new Date(Date.now() - 3_600_000);
    for (let start = 0; start < BULK; start += 1_000) {
      const ids = Array.from({ length: Math.min(1_000, BULK - start) }, (_, i) => `g_bulk${start + i}`);
      await f.db.collection('conversations').insertMany(
        ids.map((_id, i) => ({
          _id,
          kind: 'group',
          name: `bulk ${start + i}`,
          archived: false,
          createdBy: 'zed',
          createdAt: old,
          seq: 0,
        })) as never[],
      );
      await f.db.collection('members').insertMany(
        ids.map((conversationId) => ({
          _id: `${conversationId}:zed`,
          conversationId,
          userId: 'zed',
          role: 'owner',
          joinedAt: old,
          active: true,
          readSeq: 0,
        })) as never[],
      );
    }
    const live = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Live', memberIds: ['zed'] })
    ).json().id;
    await f.call('ann', 'POST', `/conversations/${live}/messages`, {
      clientMessageId: 'l1',
      text: 'hi @zed',
    });

    const first = (await f.call('zed', 'GET', '/conversations?limit=5')).json();
    expect(first.conversations[0]).toMatchObject({ id: live, name: 'Live', unread: 1, mentions: 1 });
    expect(first.conversations).toHaveLength(5);
    const unread = (await f.call('zed', 'GET', '/unread')).json();
    expect(unread.conversations).toEqual([expect.objectContaining({ conversationId: live, unread: 1 })]);

    expect(first.nextCursor).toBeDefined();
    // Every one of them, once (through the domain in one page: the route's pages are at most
    // PAGE_MAX_LIMIT, and 26 of them cost a minute on the local FerretDB).
    const all = await f.components.readPointers.sidebar(
      { tenant: f.tenant, userId: 'zed', roles: ['member'] },
      { limit: BULK + 10, archived: false },
    );
    const seen = new Set(all.conversations.map((row) => row.id));
    expect(all.conversations).toHaveLength(BULK + 1);
    expect(all.nextCursor).toBeUndefined();
    expect(seen.size).toBe(BULK + 1);
  }, 120_000);
});
