// Messages on the real Mongo-wire server: sends (idempotent), history both ways, threads, edits,
// deletes, reactions, mentions, read pointers and unread counts, and what a removed member sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;
let group: string;

beforeAll(async () => {
  f = await openMessagingFixture();
  group = (
    await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Chat', memberIds: ['bob', 'cat'] })
  ).json().id;
});
afterAll(async () => {
  await f?.close();
});

const send = (
  user: string,
  conversation: string,
  clientMessageId: string,
  text: string,
  extra: object = {},
) => f.call(user, 'POST', `/conversations/${conversation}/messages`, { clientMessageId, text, ...extra });

describe('sending', () => {
  it('answers 201 once and the first result for a retry; another text under the same id is a conflict', async () => {
    const first = await send('ann', group, 'c-1', 'hello there');
    expect(first.statusCode).toBe(201);
    const message = first.json();
    expect(message).toMatchObject({ text: 'hello there', senderId: 'ann', deleted: false, replyCount: 0 });
    const retries = await Promise.all([1, 2, 3].map(() => send('ann', group, 'c-1', 'hello there')));
    for (const retry of retries) {
      expect(retry.statusCode).toBe(200);
      expect(retry.json()).toMatchObject({ id: message.id, seq: message.seq });
    }
    expect(await f.db.collection('messages').countDocuments({ clientMessageId: 'c-1' })).toBe(1);
    expect((await send('ann', group, 'c-1', 'something else')).statusCode).toBe(409);
    // The same client id from another sender is another message.
    expect((await send('bob', group, 'c-1', 'hello there')).statusCode).toBe(201);
  });

  it('is idempotent under concurrent identical sends too (one message, the others get it)', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('cat', group, 'race-1', 'same')));
    const ids = new Set(answers.map((a) => a.json().id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.statusCode === 201).length).toBe(1);
    expect(await f.db.collection('messages').countDocuments({ clientMessageId: 'race-1' })).toBe(1);
  });

  it('refuses a non-member (404), oversize text and unknown fields (400)', async () => {
    expect((await send('eve', group, 'e-1', 'let me in')).statusCode).toBe(404);
    expect((await send('ann', group, 'big', 'x'.repeat(10_001))).statusCode).toBe(400);
    expect(
      (
        await f.call('ann', 'POST', `/conversations/${group}/messages`, {
          clientMessageId: 'u',
          text: 'a',
          senderId: 'bob',
        })
      ).statusCode,
    ).toBe(400);
    expect((await f.call('eve', 'GET', `/conversations/${group}/messages`)).statusCode).toBe(404);
  });

  it('records mentions', async () => {
    const message = (await send('ann', group, 'mention-1', 'hey @bob and @channel, see @cat.')).json();
    expect(message.mentions.channel).toBe(true);
    expect(message.mentions.users.sort()).toEqual(['bob', 'cat']);
  });
});

describe('history', () => {
  let conversation: string;
  const seqs: number[] = [];

  beforeAll(async () => {
    conversation = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Pages', memberIds: ['bob'] })
    ).json().id;
    for (let i = 1; i <= 25; i++)
      seqs.push((await send(i % 2 ? 'ann' : 'bob', conversation, `h-${i}`, `message ${i}`)).json().seq);
  });

  it('pages backwards from the latest and forwards again, in ascending order, without overlap', async () => {
    const latest = (await f.call('ann', 'GET', `/conversations/${conversation}/messages?limit=10`)).json();
    expect(latest.messages.map((m: { text: string }) => m.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `message ${16 + i}`),
    );
    expect(latest.nextCursor).toBeUndefined();
    const older = (
      await f.call(
        'ann',
        'GET',
        `/conversations/${conversation}/messages?limit=10&before=${latest.prevCursor}`,
      )
    ).json();
    expect(older.messages.map((m: { text: string }) => m.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `message ${6 + i}`),
    );
    const oldest = (
      await f.call(
        'ann',
        'GET',
        `/conversations/${conversation}/messages?limit=10&before=${older.prevCursor}`,
      )
    ).json();
    expect(oldest.messages).toHaveLength(5);
    expect(oldest.prevCursor).toBeUndefined();
    const forward = (
      await f.call(
        'ann',
        'GET',
        `/conversations/${conversation}/messages?limit=10&after=${oldest.nextCursor}`,
      )
    ).json();
    expect(forward.messages.map((m: { seq: number }) => m.seq)).toEqual(
      older.messages.map((m: { seq: number }) => m.seq),
    );
  });

  it('centres a page around a seq, and anchors on a time', async () => {
    const around = (
      await f.call('ann', 'GET', `/conversations/${conversation}/messages?limit=6&around=${seqs[12]}`)
    ).json();
    expect(around.messages.map((m: { seq: number }) => m.seq)).toEqual(seqs.slice(9, 15));
    expect(around.prevCursor).toBe(seqs[9]);
    expect(around.nextCursor).toBe(seqs[14]);
    const tenth = (
      await f.call('ann', 'GET', `/conversations/${conversation}/messages/${around.messages[3].id}`)
    ).json();
    const after = (
      await f.call(
        'ann',
        'GET',
        `/conversations/${conversation}/messages?limit=3&afterTime=${encodeURIComponent(tenth.createdAt)}`,
      )
    ).json();
    expect(after.messages[0].seq).toBeGreaterThan(tenth.seq);
    expect(
      (await f.call('ann', 'GET', `/conversations/${conversation}/messages?before=3&after=1`)).statusCode,
    ).toBe(400);
  });
});

describe('threads, edits, deletes, reactions', () => {
  it('keeps replies out of the main history and counts them on the root', async () => {
    const root = (await send('ann', group, 't-root', 'thread root')).json();
    const r1 = await send('bob', group, 't-1', 'reply one', { parentId: root.id });
    const r2 = await send('cat', group, 't-2', 'reply two', { parentId: root.id });
    expect(r1.statusCode).toBe(201);
    expect((await send('ann', group, 't-3', 'nested', { parentId: r1.json().id })).statusCode).toBe(409);
    const latest = (await f.call('ann', 'GET', `/conversations/${group}/messages?limit=5`)).json().messages;
    expect(latest.map((m: { text: string }) => m.text)).not.toContain('reply one');
    const shownRoot = latest.find((m: { id: string }) => m.id === root.id);
    expect(shownRoot).toMatchObject({ replyCount: 2, lastReplyId: r2.json().id });
    const thread = (
      await f.call('ann', 'GET', `/conversations/${group}/messages?parentId=${root.id}`)
    ).json();
    expect(thread.messages.map((m: { text: string }) => m.text)).toEqual(['reply one', 'reply two']);
  });

  it('lets only the sender edit, keeps the old text in the sealed edit history and out of every answer', async () => {
    const message = (await send('ann', group, 'e-1', 'first words')).json();
    expect(
      (await f.call('bob', 'PATCH', `/conversations/${group}/messages/${message.id}`, { text: 'hijack' }))
        .statusCode,
    ).toBe(403);
    const edited = await f.call('ann', 'PATCH', `/conversations/${group}/messages/${message.id}`, {
      text: 'better words',
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ text: 'better words', seq: message.seq });
    expect(edited.json().changeSeq).toBeGreaterThan(message.seq);
    expect(edited.json().editedAt).toBeDefined();
    expect(JSON.stringify(edited.json())).not.toContain('first words');
    const history = await f.db.collection('message_edits').find({ messageId: message.id }).toArray();
    expect(history).toHaveLength(1);
    const old = await f.components.sealer.open(f.tenant, message.id, history[0]?.body as string);
    expect(old.text).toBe('first words');
  });

  it('deletes by the sender or an admin: the tombstone keeps its seq, the content is gone from every collection', async () => {
    const message = (await send('bob', group, 'd-1', 'regrettable')).json();
    await f.call('bob', 'PATCH', `/conversations/${group}/messages/${message.id}`, { text: 'regrettable 2' });
    await f.call('cat', 'PUT', `/conversations/${group}/messages/${message.id}/reactions/fire`);
    expect((await f.call('cat', 'DELETE', `/conversations/${group}/messages/${message.id}`)).statusCode).toBe(
      403,
    );
    const deleted = await f.call('ann', 'DELETE', `/conversations/${group}/messages/${message.id}`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id: message.id, seq: message.seq, deleted: true, reactions: [] });
    expect(deleted.json().text).toBeUndefined();
    const stored = await f.db.collection('messages').findOne({ _id: message.id as never });
    expect(stored?.body).toBeUndefined();
    // No personal data stays either: the tombstone names neither its sender nor who deleted it
    // (the audit log records the request), only what ordering and idempotent retries need.
    expect(stored).toMatchObject({ senderId: 'former-member', seq: message.seq, clientMessageId: 'd-1' });
    expect(JSON.stringify(stored)).not.toMatch(/"(bob|ann)"/);
    expect(deleted.json().senderId).toBe('former-member');
    expect(await f.db.collection('message_edits').countDocuments({ messageId: message.id })).toBe(0);
    expect(await f.db.collection('message_reactions').countDocuments({ messageId: message.id })).toBe(0);
    const log = await f.db.collection('message_log').find({ messageId: message.id }).toArray();
    expect(log.every((entry) => entry.intent === undefined && entry.applied === true)).toBe(true);
    // Deleting again changes nothing.
    expect(
      (await f.call('bob', 'DELETE', `/conversations/${group}/messages/${message.id}`)).json().changeSeq,
    ).toBe(deleted.json().changeSeq);
    expect(
      (await f.call('bob', 'PATCH', `/conversations/${group}/messages/${message.id}`, { text: 'back' }))
        .statusCode,
    ).toBe(409);
  });

  it("describes a message in the search feed's log exactly as its latest event does (one builder)", async () => {
    const kept = (await send('bob', group, 'p-1', 'first words')).json();
    await f.call('bob', 'PATCH', `/conversations/${group}/messages/${kept.id}`, { text: 'second words' });
    const gone = (await send('cat', group, 'p-2', 'soon gone')).json();
    await f.call('ann', 'DELETE', `/conversations/${group}/messages/${gone.id}`);
    // No relay runs here: each log entry still holds the event it announced.
    const latestEvent = async (messageId: string, kind: string) =>
      (await f.db.collection('message_log').findOne({ messageId, kind }))?._outbox?.[0]?.payload;
    const page = await f.components.searchFeed.messageLog(f.tenant, { limit: 1000 });
    const logged = (id: string) => page.messages.find((m) => m.messageId === id);
    expect(logged(kept.id)).toEqual(await latestEvent(kept.id, 'message.edited'));
    // A deletion names its actor in the event it announces, the tombstone keeps no one.
    expect({ ...logged(gone.id), actorId: 'ann' }).toEqual(await latestEvent(gone.id, 'message.deleted'));
    expect(logged(gone.id)).toMatchObject({ senderId: 'former-member', deleted: true });
  });

  it('keeps one reaction per user and emoji', async () => {
    const message = (await send('ann', group, 'r-1', 'react to me')).json();
    const reacted = await Promise.all(
      [1, 2, 3].map(() =>
        f.call('bob', 'PUT', `/conversations/${group}/messages/${message.id}/reactions/thumbsup`),
      ),
    );
    for (const r of reacted) expect(r.statusCode).toBe(200);
    await f.call('cat', 'PUT', `/conversations/${group}/messages/${message.id}/reactions/thumbsup`);
    await f.call(
      'cat',
      'PUT',
      `/conversations/${group}/messages/${message.id}/reactions/${encodeURIComponent('🎉')}`,
    );
    const view = (await f.call('ann', 'GET', `/conversations/${group}/messages/${message.id}`)).json();
    expect(view.reactions).toEqual([
      { emoji: 'thumbsup', count: 2, userIds: ['bob', 'cat'] },
      { emoji: '🎉', count: 1, userIds: ['cat'] },
    ]);
    const removed = (
      await f.call('bob', 'DELETE', `/conversations/${group}/messages/${message.id}/reactions/thumbsup`)
    ).json();
    expect(removed.reactions[0]).toEqual({ emoji: 'thumbsup', count: 1, userIds: ['cat'] });
  });
});

describe('read pointers and unread counts', () => {
  it('counts what others sent after the pointer, mentions apart, for the whole sidebar', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Unread', memberIds: ['bob'] })
    ).json().id;
    await send('ann', room, 'u-1', 'one');
    await send('ann', room, 'u-2', 'two @bob');
    await send('bob', room, 'u-3', 'mine');
    const sidebar = (await f.call('bob', 'GET', '/conversations')).json();
    const row = sidebar.conversations.find((c: { id: string }) => c.id === room);
    expect(row).toMatchObject({ unread: 2, mentions: 1 });
    // The latest activity first.
    expect(sidebar.conversations[0].id).toBe(room);
    const unread = (await f.call('bob', 'GET', '/unread')).json().conversations;
    expect(unread.find((c: { conversationId: string }) => c.conversationId === room)).toMatchObject({
      unread: 2,
      mentions: 1,
    });
    const pointer = (await f.call('bob', 'PUT', `/conversations/${room}/read`, { seq: 1_000_000 })).json();
    expect(pointer).toMatchObject({ unread: 0, mentions: 0 });
    expect(pointer.readSeq).toBe(row.lastSeq);
    // Never backwards.
    expect((await f.call('bob', 'PUT', `/conversations/${room}/read`, { seq: 1 })).json().readSeq).toBe(
      row.lastSeq,
    );
    expect(
      (await f.call('bob', 'GET', '/unread'))
        .json()
        .conversations.map((c: { conversationId: string }) => c.conversationId),
    ).not.toContain(room);
  });
});

describe('thread replies and unread counts', () => {
  it('counts the replies of others after the pointer, and their mentions, until read', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Threads', memberIds: ['bob'] })
    ).json().id;
    const root = (await send('bob', room, 't-root', 'a question')).json();
    const rowFor = async (user: string) =>
      (await f.call(user, 'GET', '/conversations'))
        .json()
        .conversations.find((c: { id: string }) => c.id === room);
    // Bob's own root is not unread for him.
    expect(await rowFor('bob')).toMatchObject({ unread: 0, mentions: 0 });
    await send('ann', room, 't-r1', 'an answer', { parentId: root.id });
    await send('ann', room, 't-r2', 'and @bob, another', { parentId: root.id });
    await send('bob', room, 't-r3', 'thanks', { parentId: root.id });
    expect(await rowFor('bob')).toMatchObject({ unread: 2, mentions: 1 });
    const unread = (await f.call('bob', 'GET', '/unread')).json().conversations;
    expect(unread.find((c: { conversationId: string }) => c.conversationId === room)).toMatchObject({
      unread: 2,
      mentions: 1,
    });
    // Ann sees Bob's root and reply.
    expect(await rowFor('ann')).toMatchObject({ unread: 2, mentions: 0 });
    // A deleted reply is not unread.
    const r4 = (await send('ann', room, 't-r4', 'oops', { parentId: root.id })).json();
    expect(await rowFor('bob')).toMatchObject({ unread: 3 });
    await f.call('ann', 'DELETE', `/conversations/${room}/messages/${r4.id}`);
    expect(await rowFor('bob')).toMatchObject({ unread: 2 });
    const read = (await f.call('bob', 'PUT', `/conversations/${room}/read`, { seq: 1_000_000 })).json();
    expect(read).toMatchObject({ unread: 0, mentions: 0 });
    // A reply after the pointer is unread again.
    await send('ann', room, 't-r5', 'one more', { parentId: root.id });
    expect(await rowFor('bob')).toMatchObject({ unread: 1, mentions: 0 });
  });
});

describe('a removed member', () => {
  it('reads nothing sent after its removal, through any route', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Removal', memberIds: ['bob'] })
    ).json().id;
    const before = (await send('ann', room, 'rm-1', 'before')).json();
    expect((await f.call('ann', 'DELETE', `/conversations/${room}/members/bob`)).statusCode).toBe(204);
    const after = (await send('ann', room, 'rm-2', 'after the removal')).json();
    const tries = [
      await f.call('bob', 'GET', `/conversations/${room}/messages`),
      await f.call('bob', 'GET', `/conversations/${room}/messages/${after.id}`),
      await f.call('bob', 'GET', `/conversations/${room}/changes?since=${before.seq}`),
      await f.call('bob', 'GET', `/conversations/${room}`),
      await f.call('bob', 'PUT', `/conversations/${room}/read`, { seq: after.seq }),
    ];
    for (const t of tries) expect(t.statusCode).toBe(404);
    const sidebar = (await f.call('bob', 'GET', '/conversations'))
      .json()
      .conversations.map((c: { id: string }) => c.id);
    expect(sidebar).not.toContain(room);
  });
});
