// GDPR on the real Mongo-wire server: a person's export lists their conversations, messages
// (decrypted) and reactions; an erasure deletes (or anonymises) their messages, withdraws their
// reactions, ends their memberships, and keeps what a legal hold covers.
import { LegalHoldStore } from '@parley/retention';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMER_MEMBER } from './domain/personal-data.ts';
import { holdsOf } from './gdpr-participation.ts';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

const send = async (user: string, room: string, id: string, text: string) =>
  (await f.call(user, 'POST', `/conversations/${room}/messages`, { clientMessageId: id, text })).json();

describe('GDPR', () => {
  it('exports what messaging holds about a person, decrypted', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Export', memberIds: ['gus'] })
    ).json().id;
    const direct = (await f.call('gus', 'POST', '/conversations/direct', { userId: 'ann' })).json().id;
    const mine = await send('gus', room, 'x1', 'my own words');
    await send('ann', room, 'x2', 'not his');
    await f.call('gus', 'PUT', `/conversations/${room}/messages/${mine.id}/reactions/wave`);
    const exported = (await f.components.personalData.export(f.tenant, 'gus')) as {
      conversations: { id: string; role?: string }[];
      messages: { id: string; text?: string }[];
      reactions: { emoji: string }[];
    };
    expect(exported.conversations.map((c) => c.id).sort()).toEqual([room, direct].sort());
    expect(exported.messages).toEqual([expect.objectContaining({ id: mine.id, text: 'my own words' })]);
    expect(exported.reactions.map((r) => r.emoji)).toEqual(['wave']);
  });

  it('erases in delete mode: messages tombstoned with their seq, reactions withdrawn, memberships gone', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Erase', memberIds: ['hal'] })
    ).json().id;
    const held = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Held', memberIds: ['hal'] })
    ).json().id;
    await f.call('hal', 'POST', '/conversations/direct', { userId: 'ann' });
    const m1 = await send('hal', room, 'e1', 'erase me');
    await f.call('hal', 'PATCH', `/conversations/${room}/messages/${m1.id}`, { text: 'erase me too' });
    const other = await send('ann', room, 'e2', 'stays');
    await f.call('hal', 'PUT', `/conversations/${room}/messages/${other.id}/reactions/ok`);
    const kept = await send('hal', held, 'e3', 'under hold');
    await new LegalHoldStore(f.mongo.client, f.tenant).place({
      scope: { kind: 'conversation', conversationId: held },
      reason: 'case',
      setBy: 'counsel',
    });
    const holds = await holdsOf(f.mongo.client, f.tenant, 'hal');
    expect(holds.person).toEqual([]);
    // hal's user_conversations document (search's permission filter) exists before the erasure.
    expect((await f.call('hal', 'GET', '/memberships')).json().conversationIds).toContain(room);
    const result = await f.components.personalData.erase(f.tenant, 'hal', 'delete', holds.conversations);
    expect(result.counts).toMatchObject({ messagesDeleted: 1, held: 1, reactionsRemoved: 1 });
    const stored = await f.db.collection('messages').findOne({ _id: m1.id });
    expect(stored).toMatchObject({ deleted: true, seq: m1.seq });
    expect(stored?.body).toBeUndefined();
    expect(await f.db.collection('message_edits').countDocuments({ messageId: m1.id })).toBe(0);
    expect(await f.db.collection('message_reactions').countDocuments({ userId: 'hal' })).toBe(0);
    expect(
      (await f.call('ann', 'GET', `/conversations/${room}/messages/${other.id}`)).json().reactions,
    ).toEqual([]);
    expect((await f.call('ann', 'GET', `/conversations/${held}/messages/${kept.id}`)).json().text).toBe(
      'under hold',
    );
    // Memberships outside the held conversation are gone; hal reads nothing any more.
    expect(await f.db.collection('members').countDocuments({ userId: 'hal', conversationId: room })).toBe(0);
    expect((await f.call('hal', 'GET', `/conversations/${room}/messages`)).statusCode).toBe(404);
    // Their id left user_conversations with their memberships.
    expect(await f.db.collection('user_conversations').countDocuments({ _id: 'hal' as never })).toBe(0);
    const direct = await f.db
      .collection('conversations')
      .findOne({ kind: 'direct', participants: FORMER_MEMBER });
    expect(direct?.participants).toContain('ann');
    // Nothing left to do on a second run.
    const again = await f.components.personalData.erase(f.tenant, 'hal', 'delete', holds.conversations);
    expect(again.counts).toMatchObject({ messagesDeleted: 0, reactionsRemoved: 0, membershipsEnded: 0 });
  });

  it('erases in anonymise mode: messages kept, attributed to a former member', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Anon', memberIds: ['ivy'] })
    ).json().id;
    const m = await send('ivy', room, 'a1', 'keep my words');
    await f.components.personalData.erase(f.tenant, 'ivy', 'anonymise', new Set());
    const view = (await f.call('ann', 'GET', `/conversations/${room}/messages/${m.id}`)).json();
    expect(view).toMatchObject({ text: 'keep my words', senderId: FORMER_MEMBER });
    expect(await f.db.collection('messages').countDocuments({ senderId: 'ivy' })).toBe(0);
  });

  it('sees a hold on the person, which refuses the erasure', async () => {
    await new LegalHoldStore(f.mongo.client, f.tenant).place({
      scope: { kind: 'person', userId: 'jon' },
      reason: 'case',
      setBy: 'counsel',
    });
    expect((await holdsOf(f.mongo.client, f.tenant, 'jon')).person).toHaveLength(1);
  });
});
