/**
 * Legal holds stop the deletion of what they preserve, performed as clients would: a compliance
 * officer places holds through the gateway (the compliance service writes them), and the sender's
 * own edit and delete, a conversation owner's delete, all through the gateway, answer 409
 * `legal-hold` naming the hold, while the message stays in Mongo as it was (sealed body, not
 * deleted). Conversation, person (the sender) and tenant scopes each hold; lifting the hold frees
 * the message; a hold on one conversation leaves the others alone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

let stack: GatewayStack;
let alice: SignedIn;
let bob: SignedIn;
let officer: SignedIn;

beforeAll(async () => {
  stack = await openGatewayStack();
  [alice, bob, officer] = await Promise.all([
    stack.user(stack.tenantA),
    stack.user(stack.tenantA),
    stack.user(stack.tenantA, ['compliance-officer']),
  ]);
});
afterAll(async () => {
  await stack?.close();
});

type Scope =
  | { kind: 'tenant' }
  | { kind: 'person'; userId: string }
  | { kind: 'conversation'; conversationId: string };

async function place(scope: Scope): Promise<string> {
  const placed = await officer.client.POST('/api/v1/admin/legal-holds', {
    body: { scope, reason: `litigation ${randomUUID().slice(0, 6)}` },
  });
  expect(placed.response.status, JSON.stringify(placed.error)).toBe(201);
  return placed.data?.hold.id ?? '';
}

async function lift(holdId: string): Promise<void> {
  const lifted = await officer.client.POST('/api/v1/admin/legal-holds/{holdId}/lift', {
    params: { path: { holdId } },
    body: { reason: 'settled' },
  });
  expect(lifted.response.status).toBe(200);
}

/** A group of Alice's (Bob a member) with one message of Alice's in it. */
async function conversationWithMessage(): Promise<{ conversationId: string; messageId: string }> {
  const group = await alice.client.POST('/api/v1/conversations', {
    body: { kind: 'group', name: 'Held', memberIds: [bob.userId] },
  });
  const conversationId = group.data?.id ?? '';
  const sent = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
    params: { path: { conversationId } },
    body: { clientMessageId: randomUUID(), text: 'the contract says otherwise' },
  });
  expect(sent.response.status).toBe(201);
  return { conversationId, messageId: sent.data?.id ?? '' };
}

const edit = (who: SignedIn, path: { conversationId: string; messageId: string }) =>
  who.client.PATCH('/api/v1/conversations/{conversationId}/messages/{messageId}', {
    params: { path },
    body: { text: 'nothing to see' },
  });
const remove = (who: SignedIn, path: { conversationId: string; messageId: string }) =>
  who.client.DELETE('/api/v1/conversations/{conversationId}/messages/{messageId}', { params: { path } });

/** The message as stored: still its first sealed body, not deleted, never edited. */
async function expectKept(messageId: string, body: string | undefined): Promise<void> {
  const stored = await stack.messaging.db.collection('messages').findOne({ _id: messageId as never });
  expect(stored).toMatchObject({ deleted: false });
  expect(stored?.editedAt).toBeUndefined();
  expect(stored?.body).toBe(body);
  expect(await stack.messaging.db.collection('message_edits').countDocuments({ messageId })).toBe(0);
}

const storedBody = async (messageId: string) =>
  (await stack.messaging.db.collection('messages').findOne({ _id: messageId as never }))?.body as
    | string
    | undefined;

describe('a legal hold through the gateway', () => {
  it("on a conversation refuses the sender's edit and delete and the owner's delete, until lifted", async () => {
    const path = await conversationWithMessage();
    const other = await conversationWithMessage();
    const body = await storedBody(path.messageId);
    const holdId = await place({ kind: 'conversation', conversationId: path.conversationId });

    const edited = await edit(alice, path);
    expect(edited.response.status).toBe(409);
    expect(edited.error).toMatchObject({ type: expect.stringMatching(/\/legal-hold$/), holdIds: [holdId] });
    // Alice is the group's owner too: as its moderator she is refused all the same.
    const deleted = await remove(alice, path);
    expect(deleted.response.status).toBe(409);
    expect(deleted.error).toMatchObject({ type: expect.stringMatching(/\/legal-hold$/), holdIds: [holdId] });
    await expectKept(path.messageId, body);
    const read = await bob.client.GET('/api/v1/conversations/{conversationId}/messages/{messageId}', {
      params: { path },
    });
    expect(read.data).toMatchObject({ text: 'the contract says otherwise', deleted: false });

    // Another conversation is not held.
    expect((await remove(alice, other)).data).toMatchObject({ deleted: true });

    await lift(holdId);
    expect((await edit(alice, path)).data).toMatchObject({ text: 'nothing to see' });
    expect((await remove(alice, path)).data).toMatchObject({ deleted: true });
  });

  it('on the sender holds their messages everywhere, and on the tenant holds every message', async () => {
    const path = await conversationWithMessage();
    const body = await storedBody(path.messageId);
    const personHold = await place({ kind: 'person', userId: alice.userId });
    expect((await edit(alice, path)).response.status).toBe(409);
    expect((await remove(alice, path)).response.status).toBe(409);
    await expectKept(path.messageId, body);
    // Bob's own message is not Alice's: a hold on Alice does not reach it.
    const bobs = await bob.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: path.conversationId } },
      body: { clientMessageId: randomUUID(), text: 'mine' },
    });
    const bobsPath = { conversationId: path.conversationId, messageId: bobs.data?.id ?? '' };
    expect((await edit(bob, bobsPath)).response.status).toBe(200);
    await lift(personHold);

    const tenantHold = await place({ kind: 'tenant' });
    const refused = await remove(bob, bobsPath);
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({ holdIds: [tenantHold] });
    await lift(tenantHold);
    expect((await remove(bob, bobsPath)).data).toMatchObject({ deleted: true });
    expect((await remove(alice, path)).data).toMatchObject({ deleted: true });
  });
});
