/**
 * What messaging holds about a person, for GDPR: the export (their memberships, their messages
 * decrypted, their reactions) and the erasure, in the tenant's mode (spec.gdpr.erasureMode of its
 * Tenant, carried by the registry; unset: the deployment's GDPR_ERASURE_MODE):
 * - `delete`: every message they sent is deleted as a sender's delete would (a tombstone with its
 *   seq, the edit history gone, the topic's tombstone), their reactions are withdrawn;
 * - `anonymise`: their messages stay, attributed to `former-member` (and the edit history too);
 *   their reactions are withdrawn.
 * In both modes their memberships end (announced as `left`) and are then removed, and a direct
 * conversation names `former-member` instead of them. Messages in a conversation under a legal
 * hold are left as they are (counted as `held`); a hold on the person or the tenant refuses the
 * whole erasure before anything is touched (gdpr-participation.ts).
 *
 * Idempotent: a repeated erasure finds nothing left to do.
 */
import { createEvent, MemberChangedEvent } from '@parley/contracts';
import { withDocumentLock } from '@parley/kit';
import { outboxPush } from '@parley/outbox';
import type { Collection, Document } from 'mongodb';
import type { MessagingStore, TenantCollections } from '../store/collections.ts';
import type { BodySealer } from './body-sealer.ts';
import type { ChangeApplier } from './change-applier.ts';
import type { ConversationText } from './conversation-text.ts';
import { conversationLockId, EVENT_SOURCE } from './conversations.ts';
import { FORMER_MEMBER } from './ids.ts';
import type { OutboxRelayLike } from './outbox-publisher.ts';
import { readPosition } from './seq-counters.ts';
import type { SeqLedger } from './seq-ledger.ts';
import { changeMembership, forgetUser } from './user-conversations.ts';

export { FORMER_MEMBER };
export type ErasureMode = 'delete' | 'anonymise';
/** More than this many messages of one person are not exported in one part. */
const EXPORT_LIMIT = 100_000;

export interface PersonalDataDependencies {
  store: MessagingStore;
  ledger: SeqLedger;
  applier: ChangeApplier;
  sealer: BodySealer;
  /** Opens conversation names (sealed at rest) for the export. */
  texts: ConversationText;
  publisher: OutboxRelayLike;
}

export interface HoldsLookup {
  /** Conversations under a legal hold in the tenant (their messages are not erased). */
  heldConversations(tenant: string): Promise<Set<string>>;
}

export class PersonalData {
  readonly #d: PersonalDataDependencies;

  constructor(dependencies: PersonalDataDependencies) {
    this.#d = dependencies;
  }

  async export(tenant: string, userId: string): Promise<unknown> {
    const c = await this.#d.store.of(tenant);
    const [memberships, messages, reactions] = await Promise.all([
      c.members.find({ userId }).toArray(),
      c.messages.find({ senderId: userId }).sort({ createdAt: 1 }).limit(EXPORT_LIMIT).toArray(),
      c.reactions.find({ userId }).toArray(),
    ]);
    const conversationIds = [
      ...new Set([...memberships.map((m) => m.conversationId), ...messages.map((m) => m.conversationId)]),
    ];
    const conversations = await Promise.all(
      (await c.conversations.find({ _id: { $in: conversationIds } }).toArray()).map((conv) =>
        this.#d.texts.reveal(tenant, conv),
      ),
    );
    const byId = new Map(conversations.map((conv) => [conv._id, conv]));
    return {
      conversations: conversationIds.map((id) => {
        const conversation = byId.get(id);
        const membership = memberships.find((m) => m.conversationId === id);
        return {
          id,
          kind: conversation?.kind,
          ...(conversation?.name !== undefined ? { name: conversation.name } : {}),
          ...(conversation?.participants ? { participants: conversation.participants } : {}),
          ...(membership
            ? {
                role: membership.role,
                joinedAt: membership.joinedAt.toISOString(),
                member: membership.active,
                ...(membership.leftAt ? { leftAt: membership.leftAt.toISOString() } : {}),
              }
            : {}),
        };
      }),
      messages: await Promise.all(
        messages.map(async (m) => ({
          id: m._id,
          conversationId: m.conversationId,
          seq: m.seq,
          createdAt: m.createdAt.toISOString(),
          ...(m.body && !m.deleted ? { text: (await this.#d.sealer.open(tenant, m._id, m.body)).text } : {}),
          deleted: m.deleted,
          ...(m.editedAt ? { editedAt: m.editedAt.toISOString() } : {}),
          ...(m.parentId ? { parentId: m.parentId } : {}),
        })),
      ),
      reactions: reactions.map((r) => ({
        messageId: r.messageId,
        conversationId: r.conversationId,
        emoji: r.emoji,
        at: r.at.toISOString(),
      })),
      truncated: messages.length >= EXPORT_LIMIT,
    };
  }

  async erase(
    tenant: string,
    userId: string,
    mode: ErasureMode,
    heldConversations: Set<string>,
  ): Promise<{ counts: Record<string, number>; detail?: string }> {
    const c = await this.#d.store.of(tenant);
    const counts = {
      messagesDeleted: 0,
      messagesAnonymised: 0,
      held: 0,
      reactionsRemoved: 0,
      membershipsEnded: 0,
    };
    const messages = await c.messages.find({ senderId: userId }).toArray();
    for (const message of messages) {
      if (heldConversations.has(message.conversationId)) {
        counts.held++;
        continue;
      }
      if (mode === 'delete') {
        if (message.deleted) continue;
        await this.#change(c, message.conversationId, {
          kind: 'message.deleted',
          messageId: message._id,
          actorId: FORMER_MEMBER,
        });
        counts.messagesDeleted++;
      } else {
        // Under the message's lock: a concurrent edit or reaction would otherwise undo it on FerretDB.
        await this.#d.applier.locked(c, message._id, () =>
          c.messages.updateOne({ _id: message._id }, { $set: { senderId: FORMER_MEMBER } }),
        );
        await c.edits.updateMany({ messageId: message._id }, { $set: { senderId: FORMER_MEMBER } });
        counts.messagesAnonymised++;
      }
    }
    for (const reaction of await c.reactions.find({ userId }).toArray()) {
      if (heldConversations.has(reaction.conversationId)) continue;
      // Withdrawn as the person would: the reaction's own seq, its event.
      await this.#change(c, reaction.conversationId, {
        kind: 'reaction.removed',
        messageId: reaction.messageId,
        actorId: userId,
        intent: { emoji: reaction.emoji },
      });
      counts.reactionsRemoved++;
    }
    for (const member of await c.members.find({ userId }).toArray()) {
      if (member.active) {
        const position = await readPosition(c, member.conversationId);
        const event = createEvent(MemberChangedEvent, {
          tenant,
          source: EVENT_SOURCE,
          payload: {
            conversationId: member.conversationId,
            userId,
            actorId: FORMER_MEMBER,
            change: 'left',
            atSeq: position?.seq ?? 0,
            at: new Date().toISOString(),
          },
        });
        // The event rides on the conversation's outbox, so the membership can go at once.
        // Under the conversation's lock, as every update of it (its settings, the relay's clearing).
        await withDocumentLock(c.locks, conversationLockId(member.conversationId), () =>
          c.conversations.updateOne({ _id: member.conversationId }, outboxPush([event])),
        );
        await this.#d.publisher.publishNow(
          c.conversations as unknown as Collection<Document>,
          member.conversationId,
        );
        counts.membershipsEnded++;
        // Under the person's lock: their user_conversations document loses the id with it.
        await changeMembership(c, userId, member.conversationId, async () => {
          await c.members.deleteOne({ _id: member._id });
          return { result: undefined, active: false };
        });
      } else await c.members.deleteOne({ _id: member._id });
    }
    // Their id goes with their memberships (a search as them afterwards finds an empty set).
    await forgetUser(c, userId);
    for (const direct of await c.conversations.find({ kind: 'direct', participants: userId }).toArray()) {
      await withDocumentLock(c.locks, conversationLockId(direct._id), async () => {
        // Read again as the only writer: the document as it is, not as it was listed.
        const current = await c.conversations.findOne(
          { _id: direct._id },
          { projection: { participants: 1 } },
        );
        await c.conversations.updateOne(
          { _id: direct._id },
          {
            $set: {
              participants: (current?.participants ?? []).map((p) => (p === userId ? FORMER_MEMBER : p)),
            },
          },
        );
      });
    }
    return {
      counts,
      ...(counts.held > 0 ? { detail: `${counts.held} messages kept under legal hold` } : {}),
    };
  }

  async #change(
    c: TenantCollections,
    conversationId: string,
    entry: Parameters<SeqLedger['append']>[2],
  ): Promise<void> {
    const logged = await this.#d.ledger.append(c, conversationId, entry);
    await this.#d.applier.apply(c, logged);
  }
}
