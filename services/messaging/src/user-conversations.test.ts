// Each user's `user_conversations` document (domain/user-conversations.ts), which `GET /memberships`
// (search's permission filter) reads by `_id`, on the real Mongo-wire server: built from `members`
// by the first read, then kept equal to `members` by every join, add, leave and removal, also when
// one user's joins and leaves run concurrently; a change that crashed half-way is rebuilt; one
// tenant's user id never reads another tenant's document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanMembers } from './domain/user-conversations.ts';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;
let other: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
  other = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
  await other?.close();
});

interface UserConversations {
  _id: string;
  conversationIds: string[];
  pendingAt?: Date;
}

const docOf = (fixture: MessagingFixture, userId: string) =>
  fixture.db.collection<UserConversations>('user_conversations').findOne({ _id: userId });

async function memberships(fixture: MessagingFixture, userId: string): Promise<string[]> {
  const res = await fixture.call(userId, 'GET', '/memberships');
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().conversationIds as string[]).slice().sort();
}

/** The truth: the user's active memberships as `members` holds them. */
async function fromMembers(fixture: MessagingFixture, userId: string): Promise<string[]> {
  return (await scanMembers(await fixture.components.store.of(fixture.tenant), userId)).sort();
}

async function group(fixture: MessagingFixture, owner: string, memberIds: string[] = []): Promise<string> {
  const res = await fixture.call(owner, 'POST', '/conversations', { kind: 'group', name: 'g', memberIds });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function channel(fixture: MessagingFixture, owner: string): Promise<string> {
  const res = await fixture.call(owner, 'POST', '/conversations', { kind: 'channel', name: 'c' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

describe("a user's conversations document", () => {
  it('is built from members by the first read (existing data needs no migration)', async () => {
    const rooms = [await group(f, 'ann', ['bea']), await group(f, 'bea'), await group(f, 'cy', ['bea'])];
    const left = await group(f, 'ann', ['bea']);
    expect((await f.call('bea', 'DELETE', `/conversations/${left}/members/bea`)).statusCode).toBe(204);
    // Changes of a user without a document make none (a partial set is never written).
    expect(await docOf(f, 'bea')).toBeNull();
    expect(await memberships(f, 'bea')).toEqual(rooms.slice().sort());
    const doc = await docOf(f, 'bea');
    expect(doc?.conversationIds.slice().sort()).toEqual(rooms.slice().sort());
    expect(doc?.pendingAt).toBeUndefined();
  });

  it('follows adds, joins, leaves, removals and re-adds at once', async () => {
    const room = await group(f, 'dee');
    const open = await channel(f, 'dee');
    expect(await memberships(f, 'eli')).toEqual([]);
    const added = await f.call('dee', 'POST', `/conversations/${room}/members`, { userId: 'eli' });
    expect(added.statusCode, added.body).toBeLessThan(300);
    expect(await memberships(f, 'eli')).toEqual([room]);
    expect((await f.call('eli', 'POST', `/conversations/${open}/join`)).statusCode).toBeLessThan(300);
    expect(await memberships(f, 'eli')).toEqual([room, open].sort());
    expect((await f.call('dee', 'DELETE', `/conversations/${room}/members/eli`)).statusCode).toBe(204);
    expect(await memberships(f, 'eli')).toEqual([open]);
    expect((await f.call('eli', 'DELETE', `/conversations/${open}/members/eli`)).statusCode).toBe(204);
    expect(await memberships(f, 'eli')).toEqual([]);
    const back = await f.call('dee', 'POST', `/conversations/${room}/members`, { userId: 'eli' });
    expect(back.statusCode, back.body).toBeLessThan(300);
    expect(await memberships(f, 'eli')).toEqual([room]);
    // A direct conversation (both participants' documents).
    expect(await memberships(f, 'dee')).toEqual([room, open].sort());
    const direct = (await f.call('eli', 'POST', '/conversations/direct', { userId: 'dee' })).json().id;
    expect(await memberships(f, 'eli')).toEqual([room, direct].sort());
    expect(await memberships(f, 'dee')).toEqual([room, open, direct].sort());
    expect((await docOf(f, 'eli'))?.conversationIds.slice().sort()).toEqual(await fromMembers(f, 'eli'));
  });

  it("stays equal to members under one user's concurrent joins and leaves", async () => {
    const channels: string[] = [];
    for (let i = 0; i < 12; i++) channels.push(await channel(f, 'fay'));
    const [first, second] = [channels.slice(0, 6), channels.slice(6)];
    for (const id of first)
      expect((await f.call('gil', 'POST', `/conversations/${id}/join`)).statusCode).toBe(200);
    expect(await memberships(f, 'gil')).toEqual(first.slice().sort());
    for (let round = 0; round < 3; round++) {
      const [leaving, joining] = round % 2 === 0 ? [first, second] : [second, first];
      // Every change of the round at once, reads among them.
      const answers = await Promise.all([
        ...leaving.map((id) => f.call('gil', 'DELETE', `/conversations/${id}/members/gil`)),
        ...joining.map((id) => f.call('gil', 'POST', `/conversations/${id}/join`)),
        f.call('gil', 'GET', '/memberships'),
        f.call('gil', 'GET', '/memberships'),
      ]);
      for (const answer of answers) expect(answer.statusCode, answer.body).toBeLessThan(300);
      const truth = await fromMembers(f, 'gil');
      expect(truth, `round ${round}`).toEqual(joining.slice().sort());
      const doc = await docOf(f, 'gil');
      expect(doc?.pendingAt, `round ${round}`).toBeUndefined();
      expect(doc?.conversationIds.slice().sort(), `round ${round}`).toEqual(truth);
      expect(await memberships(f, 'gil')).toEqual(truth);
    }
  });

  it('is rebuilt from members after a change that stopped half-way (its mark left behind)', async () => {
    const room = await group(f, 'hep', ['ida']);
    expect(await memberships(f, 'ida')).toEqual([room]);
    // As a crash between the mark and the update leaves it: a removal written, the id still listed.
    await f.db.collection('members').updateOne({ _id: `${room}:ida` as never }, { $set: { active: false } });
    await f.db
      .collection<UserConversations>('user_conversations')
      .updateOne({ _id: 'ida' }, { $set: { pendingAt: new Date() } });
    expect(await memberships(f, 'ida')).toEqual([]);
    expect(await docOf(f, 'ida')).toMatchObject({ conversationIds: [] });
    expect((await docOf(f, 'ida'))?.pendingAt).toBeUndefined();
  });

  it('is not patched by a later change while a crashed change has left its mark: rebuilt instead', async () => {
    const room = await group(f, 'hep', ['lou']);
    const next = await group(f, 'hep');
    expect(await memberships(f, 'lou')).toEqual([room]);
    // A removal crashed half-way (written, the id still listed and marked); then lou is added elsewhere.
    await f.db.collection('members').updateOne({ _id: `${room}:lou` as never }, { $set: { active: false } });
    await f.db
      .collection<UserConversations>('user_conversations')
      .updateOne({ _id: 'lou' }, { $set: { pendingAt: new Date() } });
    const added = await f.call('hep', 'POST', `/conversations/${next}/members`, { userId: 'lou' });
    expect(added.statusCode, added.body).toBeLessThan(300);
    expect(await memberships(f, 'lou')).toEqual([next]);
    expect((await docOf(f, 'lou'))?.conversationIds).toEqual([next]);
  });

  it("of one tenant's user is never read or written for another tenant's user of the same id", async () => {
    const mine = await group(f, 'jo');
    const theirs = await group(other, 'jo');
    expect(await memberships(f, 'jo')).toEqual([mine]);
    // The other tenant's document did not exist and was not made by a read in this tenant.
    expect(await docOf(other, 'jo')).toBeNull();
    expect(await memberships(other, 'jo')).toEqual([theirs]);
    // A change in one tenant moves only that tenant's document.
    const more = await group(other, 'kai', ['jo']);
    expect(await memberships(other, 'jo')).toEqual([theirs, more].sort());
    expect(await memberships(f, 'jo')).toEqual([mine]);
    // The other tenant's path, through this tenant's service, reads the other tenant's database.
    const res = await f.call('jo', 'GET', '/memberships', undefined, { tenant: other.tenant });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().conversationIds.slice().sort()).toEqual([theirs, more].sort());
    expect((await docOf(f, 'jo'))?.conversationIds).toEqual([mine]);
  });
});
