/**
 * Conversations and their members: direct (one per pair, by a deterministic id the insert
 * arbitrates), groups and channels (public: any user of the tenant may find and join; private:
 * invited only), name, topic, archive; members with roles (owner, admin, member).
 *
 * Who may see a conversation: its active members, and nobody else (a public channel is found
 * through GET /channels and read after joining). Everyone else gets the same 404 as for an id
 * that does not exist. A member who left or was removed reads nothing more; a public channel's
 * removed member cannot re-join alone.
 *
 * Membership and conversation changes announce themselves on the tenant's `members` topic
 * through the outbox of the document they change.
 */
import {
  type Conversation,
  ConversationCreatedEvent,
  ConversationUpdatedEvent,
  type CreateConversationBody,
  createEvent,
  type Member,
  MemberChangedEvent,
  type MemberRole,
  type UpdateConversationBody,
} from '@parley/contracts';
import { isDuplicateKeyError, withDocumentLock } from '@parley/kit';
import { outboxPush, withOutbox } from '@parley/outbox';
import type { Collection, Document, Filter } from 'mongodb';
import type {
  ConversationDocument,
  MemberDocument,
  MessagingStore,
  TenantCollections,
} from '../store/collections.ts';
import { type Caller, isTenantAdmin } from './caller.ts';
import type { ConversationText } from './conversation-text.ts';
import { directConversationId, memberId, newConversationId } from './ids.ts';
import { messagingProblems } from './messaging-problems.ts';
import type { OutboxRelayLike } from './outbox-publisher.ts';
import { countersOf, readPosition, withPosition } from './seq-counters.ts';
import { changeMembership } from './user-conversations.ts';

export const EVENT_SOURCE = 'messaging';

export interface Membership {
  collections: TenantCollections;
  conversation: ConversationDocument;
  member: MemberDocument;
}

export function conversationView(doc: ConversationDocument, member?: MemberDocument): Conversation {
  return {
    id: doc._id,
    kind: doc.kind,
    ...(doc.visibility ? { visibility: doc.visibility } : {}),
    ...(doc.name !== undefined ? { name: doc.name } : {}),
    ...(doc.topic !== undefined ? { topic: doc.topic } : {}),
    archived: doc.archived,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt.toISOString(),
    ...(doc.participants ? { participants: doc.participants } : {}),
    lastSeq: doc.seq ?? 0,
    ...(doc.lastMessageAt ? { lastMessageAt: doc.lastMessageAt.toISOString() } : {}),
    ...(member?.active
      ? {
          membership: { role: member.role, joinedAt: member.joinedAt.toISOString(), readSeq: member.readSeq },
        }
      : {}),
  };
}

export const memberView = (doc: MemberDocument): Member => ({
  userId: doc.userId,
  role: doc.role,
  joinedAt: doc.joinedAt.toISOString(),
});

export class Conversations {
  readonly #store: MessagingStore;
  readonly #publisher: OutboxRelayLike;

  readonly #texts: ConversationText;

  constructor(store: MessagingStore, publisher: OutboxRelayLike, texts: ConversationText) {
    this.#store = store;
    this.#publisher = publisher;
    this.#texts = texts;
  }

  /** The API's view of a stored conversation: its sealed name and topic opened. */
  async view(tenant: string, doc: ConversationDocument, member?: MemberDocument): Promise<Conversation> {
    return conversationView(await this.#texts.reveal(tenant, doc), member);
  }

  /** Publishes a document's outbox right after its write (the relay's passes sweep the rest). */
  #announce(
    collection: Collection<ConversationDocument> | Collection<MemberDocument>,
    id: string,
  ): Promise<void> {
    return this.#publisher.publishNow(collection as unknown as Collection<Document>, id);
  }

  /** The tenant's collections (no check of anything: callers check membership themselves). */
  collectionsOf(tenant: string): Promise<TenantCollections> {
    return this.#store.of(tenant);
  }

  /**
   * The conversation and the caller's active membership, or 404 (whatever the reason). The
   * conversation's `seq`, `seqAt` and `lastMessageAt` are its counter's (seq-counters.ts), read
   * at the same time; `position: false` leaves them out (as stored) for callers that need none.
   */
  async requireMember(
    caller: Caller,
    conversationId: string,
    options: { position?: boolean } = {},
  ): Promise<Membership> {
    const collections = await this.#store.of(caller.tenant);
    const [conversation, member, counter] = await Promise.all([
      collections.conversations.findOne({ _id: conversationId }),
      collections.members.findOne({ _id: memberId(conversationId, caller.userId) }),
      options.position === false ? null : collections.seqs.findOne({ _id: conversationId }),
    ]);
    if (!conversation || !member?.active) throw messagingProblems.conversationNotFound();
    return {
      collections,
      conversation: options.position === false ? conversation : withPosition(conversation, counter),
      member,
    };
  }

  /** For acts that change a group or channel: its owner or admins, or a tenant admin. */
  #requireManager(caller: Caller, membership: Membership): void {
    if (membership.conversation.kind === 'direct')
      throw messagingProblems.notAllowed('A direct conversation has no members to manage');
    if (membership.member.role === 'member' && !isTenantAdmin(caller))
      throw messagingProblems.notAllowed('Only the owner or an admin of the conversation may do this');
  }

  async openDirect(
    caller: Caller,
    otherUserId: string,
  ): Promise<{ conversation: Conversation; created: boolean }> {
    if (otherUserId === caller.userId)
      throw messagingProblems.badRequest('A direct conversation is between two different people');
    const c = await this.#store.of(caller.tenant);
    const participants = [caller.userId, otherUserId].sort();
    const id = directConversationId(caller.userId, otherUserId);
    const now = new Date();
    let created = false;
    let conversation = await c.conversations.findOne({ _id: id });
    if (!conversation) {
      const doc: ConversationDocument = {
        _id: id,
        kind: 'direct',
        archived: false,
        createdBy: caller.userId,
        createdAt: now,
        participants,
      };
      try {
        await c.conversations.insertOne(
          withOutbox(doc, [this.#conversationEvent(caller, ConversationCreatedEvent, doc)]),
        );
        await this.#announce(c.conversations, id);
        created = true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      conversation = (await c.conversations.findOne({ _id: id })) as ConversationDocument;
    }
    conversation = withPosition(conversation, await c.seqs.findOne({ _id: id }));
    // Always (re)ensured: a crash after the conversation's insert leaves no one without membership.
    for (const userId of participants)
      await this.#ensureMember(c, caller, conversation, userId, 'member', 'added');
    const member = await c.members.findOne({ _id: memberId(id, caller.userId) });
    return { conversation: await this.view(caller.tenant, conversation, member ?? undefined), created };
  }

  async create(caller: Caller, body: CreateConversationBody): Promise<Conversation> {
    if (body.kind === 'group' && body.visibility)
      throw messagingProblems.badRequest('Only channels have a visibility');
    const c = await this.#store.of(caller.tenant);
    const id = newConversationId(body.kind);
    const doc: ConversationDocument = {
      _id: id,
      kind: body.kind,
      ...(body.kind === 'channel' ? { visibility: body.visibility ?? 'public' } : {}),
      // Sealed at rest like message bodies: the name and topic are the members' words too.
      ...(await this.#texts.sealed(caller.tenant, id, { name: body.name, topic: body.topic })),
      archived: false,
      createdBy: caller.userId,
      createdAt: new Date(),
    };
    await c.conversations.insertOne(
      withOutbox(doc, [this.#conversationEvent(caller, ConversationCreatedEvent, doc)]),
    );
    await this.#announce(c.conversations, doc._id);
    // The owner first: a crash part-way leaves a conversation its owner can finish adding to.
    const owner = await this.#ensureMember(c, caller, doc, caller.userId, 'owner', 'joined');
    for (const userId of body.memberIds ?? [])
      if (userId !== caller.userId) await this.#ensureMember(c, caller, doc, userId, 'member', 'added');
    return this.view(caller.tenant, doc, owner);
  }

  async get(caller: Caller, conversationId: string): Promise<Conversation> {
    const { conversation, member } = await this.requireMember(caller, conversationId);
    return this.view(caller.tenant, conversation, member);
  }

  /**
   * Renames, re-topics or (un)archives: one writer at a time per conversation, the revision read
   * and written under the conversation's lock (a unique-key insert, kit's withDocumentLock), and the
   * event built from the state as written, pushed in the same write. Why the lock: FerretDB
   * rewrites a document whole and unisolated, so two concurrent updates lost one of them (a
   * rename and a topic change at once kept only one) and a compare-and-set on a revision let
   * both through; and on either server each update's event described the conversation as its
   * writer had read it, not as it ended. Now `rev` rises by one per update, in write order, and
   * each event carries the `rev` and the state it produced, so a consumer keeps the highest.
   */
  async update(caller: Caller, conversationId: string, body: UpdateConversationBody): Promise<Conversation> {
    const membership = await this.requireMember(caller, conversationId);
    this.#requireManager(caller, membership);
    const { conversations, locks } = membership.collections;
    const set: Partial<ConversationDocument> = await this.#texts.sealed(caller.tenant, conversationId, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.topic !== undefined ? { topic: body.topic } : {}),
    });
    if (body.archived !== undefined) set.archived = body.archived;
    // A document from before sealing loses its plaintext field once the new one is written.
    const unset = {
      ...(body.name !== undefined ? { name: '' as const } : {}),
      ...(body.topic !== undefined ? { topic: '' as const } : {}),
    };
    const next = await withDocumentLock(locks, conversationLockId(conversationId), async () => {
      const current = await conversations.findOne({ _id: conversationId });
      if (!current) throw messagingProblems.conversationNotFound();
      const rev = (current.rev ?? 0) + 1;
      const { name: _name, topic: _topic, _outbox, _outboxPending, ...previous } = current;
      const written: ConversationDocument = {
        ...previous,
        ...(body.name === undefined && _name !== undefined ? { name: _name } : {}),
        ...(body.topic === undefined && _topic !== undefined ? { topic: _topic } : {}),
        ...set,
        rev,
      };
      const event = this.#conversationEvent(caller, ConversationUpdatedEvent, written);
      const update = outboxPush<ConversationDocument>([event], {
        $set: { ...set, rev },
        ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
      });
      // The revision in the filter makes it a compare-and-set on MongoDB as well; on FerretDB the
      // lock is what keeps other updates out. Sends no longer write this document (their seq
      // counter has its own, seq-counters.ts), but a few writers still take no lock (the outbox
      // relay's clearing, a GDPR erasure's event): FerretDB may write back the document one of
      // them read before ours, so our revision is read back and, when gone, the same update (the
      // same event id) is written again.
      for (let attempt = 0; attempt < 5; attempt++) {
        const stored = attempt === 0 ? current : await conversations.findOne({ _id: conversationId });
        if (!stored) throw messagingProblems.conversationNotFound();
        if (attempt > 0 && stored.rev === rev) return written;
        await conversations.updateOne(
          { _id: conversationId, rev: stored.rev ?? { $exists: false } } as Filter<ConversationDocument>,
          update,
        );
      }
      const stored = await conversations.findOne({ _id: conversationId });
      if (stored?.rev !== rev)
        throw new Error(`conversation ${conversationId}: update ${rev} kept being lost`);
      return written;
    });
    await this.#announce(conversations, conversationId);
    // Its seq as read with the membership: an update moves none.
    const { seq, seqAt, lastMessageAt } = membership.conversation;
    return this.view(
      caller.tenant,
      {
        ...withPosition(next, null),
        seq,
        ...(seqAt ? { seqAt } : {}),
        ...(lastMessageAt ? { lastMessageAt } : {}),
      },
      membership.member,
    );
  }

  /** The tenant's public channels, newest first (cursor: the last one's id). */
  async listChannels(
    caller: Caller,
    limit: number,
    cursor?: string,
  ): Promise<{ channels: Conversation[]; nextCursor?: string }> {
    const c = await this.#store.of(caller.tenant);
    const filter: Filter<ConversationDocument> = { kind: 'channel', visibility: 'public', archived: false };
    if (cursor) filter._id = { $lt: decodeCursor(cursor) };
    const docs = await c.conversations
      .find(filter)
      .sort({ _id: -1 })
      .limit(limit + 1)
      .toArray();
    const page = docs.slice(0, limit);
    const last = page.at(-1);
    const counters = await countersOf(
      c,
      page.map((doc) => doc._id),
    );
    return {
      channels: await Promise.all(
        page.map((doc) => this.view(caller.tenant, withPosition(doc, counters.get(doc._id)))),
      ),
      ...(docs.length > limit && last ? { nextCursor: encodeCursor(last._id) } : {}),
    };
  }

  // ---- members ----

  async listMembers(
    caller: Caller,
    conversationId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ members: Member[]; nextCursor?: string }> {
    const { collections } = await this.requireMember(caller, conversationId, { position: false });
    const filter: Filter<MemberDocument> = { conversationId, active: true };
    if (cursor) filter._id = { $gt: decodeCursor(cursor) };
    const docs = await collections.members
      .find(filter)
      .sort({ _id: 1 })
      .limit(limit + 1)
      .toArray();
    const page = docs.slice(0, limit);
    const last = page.at(-1);
    return {
      members: page.map(memberView),
      ...(docs.length > limit && last ? { nextCursor: encodeCursor(last._id) } : {}),
    };
  }

  async addMember(
    caller: Caller,
    conversationId: string,
    userId: string,
    role: MemberRole = 'member',
  ): Promise<Member> {
    const membership = await this.requireMember(caller, conversationId);
    this.#requireManager(caller, membership);
    if (role === 'admin' && membership.member.role !== 'owner' && !isTenantAdmin(caller))
      throw messagingProblems.notAllowed('Only the owner grants the admin role');
    if (membership.conversation.archived) throw messagingProblems.archived();
    const existing = await membership.collections.members.findOne({ _id: memberId(conversationId, userId) });
    if (existing?.active) return memberView(existing);
    return memberView(
      await this.#ensureMember(
        membership.collections,
        caller,
        membership.conversation,
        userId,
        role,
        'added',
      ),
    );
  }

  async setRole(
    caller: Caller,
    conversationId: string,
    userId: string,
    role: 'admin' | 'member',
  ): Promise<Member> {
    const membership = await this.requireMember(caller, conversationId);
    if (membership.conversation.kind === 'direct')
      throw messagingProblems.notAllowed('A direct conversation has no roles');
    if (membership.member.role !== 'owner' && !isTenantAdmin(caller))
      throw messagingProblems.notAllowed('Only the owner changes roles');
    const { members } = membership.collections;
    const target = await members.findOne({ _id: memberId(conversationId, userId) });
    if (!target?.active) throw messagingProblems.badRequest('Not a member of this conversation');
    if (target.role === 'owner') throw messagingProblems.notAllowed("The owner's role does not change");
    await withDocumentLock(membership.collections.locks, memberLockId(target._id), () =>
      members.updateOne(
        { _id: target._id },
        outboxPush([this.#memberEvent(caller, membership.conversation, userId, 'role-changed', role)], {
          $set: { role },
        }),
      ),
    );
    await this.#announce(members, target._id);
    return memberView({ ...target, role });
  }

  /** Leaving (userId is the caller) or removing (an owner or admin; an admin cannot remove the owner). */
  async removeMember(caller: Caller, conversationId: string, userId: string): Promise<void> {
    const membership = await this.requireMember(caller, conversationId);
    const leaving = userId === caller.userId;
    if (membership.conversation.kind === 'direct')
      throw messagingProblems.notAllowed('Nobody leaves a direct conversation; archive it instead');
    const { members } = membership.collections;
    const target = leaving
      ? membership.member
      : await members.findOne({ _id: memberId(conversationId, userId) });
    if (!target?.active) return;
    if (!leaving) {
      this.#requireManager(caller, membership);
      if (target.role === 'owner') throw messagingProblems.notAllowed('The owner cannot be removed');
      if (target.role === 'admin' && membership.member.role !== 'owner' && !isTenantAdmin(caller))
        throw messagingProblems.notAllowed('Only the owner removes an admin');
    } else if (target.role === 'owner') {
      throw messagingProblems.notAllowed('The owner cannot leave; archive the conversation instead');
    }
    // The seq at leaving bounds what this user was ever shown; re-read now, after every earlier send.
    const now = await readPosition(membership.collections, conversationId);
    const leftSeq = now?.seq ?? membership.conversation.seq ?? 0;
    // Under the user's lock too: their user_conversations document loses the id in the same step.
    await changeMembership(membership.collections, userId, conversationId, async () => {
      await withDocumentLock(membership.collections.locks, memberLockId(target._id), () =>
        members.updateOne(
          { _id: target._id },
          outboxPush(
            [
              this.#memberEvent(
                caller,
                membership.conversation,
                userId,
                leaving ? 'left' : 'removed',
                undefined,
                leftSeq,
              ),
            ],
            {
              $set: {
                active: false,
                leftAt: new Date(),
                leftSeq,
                ...(leaving ? {} : { removedBy: caller.userId }),
              },
            },
          ),
        ),
      );
      return { result: undefined, active: false };
    });
    await this.#announce(members, target._id);
  }

  /** Joins a public channel (a no-op for a member; refused after a removal). */
  async join(caller: Caller, conversationId: string): Promise<Member> {
    const c = await this.#store.of(caller.tenant);
    const conversation = await c.conversations.findOne({ _id: conversationId });
    const existing = await c.members.findOne({ _id: memberId(conversationId, caller.userId) });
    if (existing?.active && conversation) return memberView(existing);
    if (conversation?.kind !== 'channel' || conversation.visibility !== 'public')
      throw messagingProblems.conversationNotFound();
    if (conversation.archived) throw messagingProblems.archived();
    if (existing?.removedBy && !isTenantAdmin(caller))
      throw messagingProblems.notAllowed('You were removed from this channel; an admin may add you again');
    const positioned = withPosition(conversation, await c.seqs.findOne({ _id: conversationId }));
    return memberView(await this.#ensureMember(c, caller, positioned, caller.userId, 'member', 'joined'));
  }

  async #ensureMember(
    c: TenantCollections,
    caller: Caller,
    conversation: ConversationDocument,
    userId: string,
    role: MemberRole,
    change: 'joined' | 'added',
  ): Promise<MemberDocument> {
    const _id = memberId(conversation._id, userId);
    const existing = await c.members.findOne({ _id });
    if (existing?.active) return existing;
    const doc: MemberDocument = {
      _id,
      conversationId: conversation._id,
      userId,
      role,
      joinedAt: new Date(),
      active: true,
      readSeq: existing?.readSeq ?? 0,
    };
    const event = this.#memberEvent(caller, conversation, userId, change, role);
    // Under the user's lock: their user_conversations document gains the id in the same step.
    const written = await changeMembership(c, userId, conversation._id, async () => {
      let current = existing;
      if (!current) {
        try {
          await c.members.insertOne(withOutbox(doc, [event]));
          return { result: doc, active: true };
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          current = await c.members.findOne({ _id });
          // Inserted meanwhile by another writer (and perhaps ended since): made active below.
          if (current?.active) return { result: current, active: true };
        }
      }
      const updated = await withDocumentLock(c.locks, memberLockId(_id), () =>
        c.members.updateOne(
          { _id, active: false },
          outboxPush([event], {
            $set: { role, joinedAt: doc.joinedAt, active: true },
            $unset: { leftAt: '', leftSeq: '', removedBy: '' },
          }),
        ),
      );
      if (updated.matchedCount > 0) return { result: doc, active: true };
      // Read outside the lock: active already, or gone (a GDPR erasure): record what is there.
      const now = await c.members.findOne({ _id });
      return { result: now ?? doc, active: now?.active === true };
    });
    await this.#announce(c.members, _id);
    return written;
  }

  #conversationEvent(
    caller: Caller,
    definition: typeof ConversationCreatedEvent | typeof ConversationUpdatedEvent,
    doc: ConversationDocument,
  ) {
    return createEvent(definition, {
      tenant: caller.tenant,
      source: EVENT_SOURCE,
      payload: {
        conversationId: doc._id,
        kind: doc.kind,
        ...(doc.visibility ? { visibility: doc.visibility } : {}),
        archived: doc.archived,
        rev: doc.rev ?? 0,
        actorId: caller.userId,
        at: new Date().toISOString(),
      },
    });
  }

  #memberEvent(
    caller: Caller,
    conversation: ConversationDocument,
    userId: string,
    change: 'joined' | 'added' | 'left' | 'removed' | 'role-changed',
    role?: MemberRole,
    atSeq = conversation.seq ?? 0,
  ) {
    return createEvent(MemberChangedEvent, {
      tenant: caller.tenant,
      source: EVENT_SOURCE,
      payload: {
        conversationId: conversation._id,
        userId,
        actorId: caller.userId,
        ...(role ? { role } : {}),
        change,
        atSeq,
        at: new Date().toISOString(),
      },
    });
  }
}

/** The lock a conversation's settings are written under (message_locks; message ids never start so). */
export const conversationLockId = (conversationId: string) => `conversation:${conversationId}`;

/**
 * The lock every update of a membership document is written under (message_locks), the outbox
 * relay's clearing included: FerretDB rewrites a whole document per update without isolation, so a
 * read pointer's update or the relay's clearing could write back a membership as it stood before
 * a removal (the member active again) or lose an event pushed meanwhile.
 */
export const memberLockId = (memberDocumentId: string) => `member:${memberDocumentId}`;

export const encodeCursor = (value: string) => Buffer.from(value).toString('base64url');
export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
