/**
 * What the messaging service announces, on the tenant's `messages` and `members` topics.
 *
 * The `messages` topic is a changelog keyed by message id: each record is the message's latest
 * state after one change (its conversation seq says which), so log compaction keeps only the
 * newest record per message, and a delete is followed by a tombstone (a record with the message
 * id as key and no value) that removes every earlier copy within the topic's
 * `max.compaction.lag.ms` (the operator's bound; services/messaging/README.md). A void seq (its
 * writer died before writing) is announced keyed by `<conversationId>:<seq>`, so realtime clients
 * stop waiting for it.
 *
 * No event carries readable content: the message's text (and anything else said in it) travels
 * as `sealed`, a keyring ciphertext (base64) under the tenant key for purpose
 * `MESSAGE_BODY_PURPOSE`, AAD the message id; ids, seqs, times and mentioned user ids are metadata
 * the consumers (socket, search, notifier) route by.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from '../event-envelope.ts';

/** The keyring purpose of message bodies at rest and in events (AAD: the message id). */
export const MESSAGE_BODY_PURPOSE = 'messaging.message-body';
/** The keyring purpose of conversation names and topics at rest (AAD: the conversation id). */
export const CONVERSATION_TEXT_PURPOSE = 'messaging.conversation-text';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Time = Type.String({ format: 'date-time' });

/** The sealed part of a message: JSON `{ "text": string }` under MESSAGE_BODY_PURPOSE. */
export const SealedMessageBodySchema = Type.Object({ text: Type.String() }, { additionalProperties: false });
export type SealedMessageBody = Static<typeof SealedMessageBodySchema>;

export const MessageChangedPayloadSchema = Type.Object(
  {
    conversationId: Id,
    messageId: Id,
    /** The conversation seq of this change (gap-free per conversation). */
    seq: Type.Integer({ minimum: 1 }),
    /** The seq of the message's send. */
    messageSeq: Type.Integer({ minimum: 1 }),
    kind: Type.Union([
      Type.Literal('message.created'),
      Type.Literal('message.edited'),
      Type.Literal('message.deleted'),
      Type.Literal('reaction.added'),
      Type.Literal('reaction.removed'),
    ]),
    senderId: Id,
    /**
     * The sender's own id for the send (metadata, like the ids around it): with it the socket
     * replicas emit a new message straight from this record, as messaging's `changes` would
     * show it. Absent in events written before it was added.
     */
    clientMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** Who made this change (the sender, an admin who deleted, a reacting user). */
    actorId: Id,
    at: Time,
    createdAt: Time,
    parentId: Type.Optional(Id),
    deleted: Type.Boolean(),
    /** The latest body, sealed; absent once deleted. */
    sealed: Type.Optional(Type.String()),
    mentions: Type.Object({ users: Type.Array(Id), channel: Type.Boolean() }),
    /**
     * The media objects the message carries (bound by media before the send was written); absent
     * when it has none or once deleted. Ids only: a file's name and bytes stay with media.
     */
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          { mediaId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 10 },
      ),
    ),
    reaction: Type.Optional(Type.Object({ emoji: Type.String(), userId: Id })),
  },
  { additionalProperties: false },
);
export type MessageChangedPayload = Static<typeof MessageChangedPayloadSchema>;

export const MessageCreatedEvent = defineEvent('messaging.message.created.v1', MessageChangedPayloadSchema);
export const MessageEditedEvent = defineEvent('messaging.message.edited.v1', MessageChangedPayloadSchema);
export const MessageDeletedEvent = defineEvent('messaging.message.deleted.v1', MessageChangedPayloadSchema);
export const MessageReactedEvent = defineEvent('messaging.message.reacted.v1', MessageChangedPayloadSchema);

/**
 * Never seen as an envelope: the outbox entry that makes the relay write the Kafka tombstone of a
 * deleted message (key: the message id, no value) right after its `deleted` event. A consumer
 * reading a compacted topic late may meet only the tombstone: a record without a value means the
 * message with that key is gone.
 */
export const MessageErasedMarker = defineEvent(
  'messaging.message.erased.v1',
  Type.Object({ conversationId: Id, messageId: Id }, { additionalProperties: false }),
);

export const SeqVoidedEvent = defineEvent(
  'messaging.conversation.seq-voided.v1',
  Type.Object(
    { conversationId: Id, seq: Type.Integer({ minimum: 1 }), at: Time },
    { additionalProperties: false },
  ),
);

/** The members topic: conversation lifecycle and membership (no content: names and topics are sealed too). */
export const ConversationChangedPayloadSchema = Type.Object(
  {
    conversationId: Id,
    kind: Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('channel')]),
    visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])),
    archived: Type.Boolean(),
    /**
     * The settings' revision this event produced (0 at creation, one more per update, in the
     * order they were written): of two updates, the higher rev is the conversation's state.
     */
    rev: Type.Optional(Type.Integer({ minimum: 0 })),
    actorId: Id,
    at: Time,
  },
  { additionalProperties: false },
);
export const ConversationCreatedEvent = defineEvent(
  'messaging.conversation.created.v1',
  ConversationChangedPayloadSchema,
);
export const ConversationUpdatedEvent = defineEvent(
  'messaging.conversation.updated.v1',
  ConversationChangedPayloadSchema,
);

export const MemberChangedPayloadSchema = Type.Object(
  {
    conversationId: Id,
    userId: Id,
    actorId: Id,
    /** The role now; absent once the member has left or was removed. */
    role: Type.Optional(Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')])),
    change: Type.Union([
      Type.Literal('joined'),
      Type.Literal('added'),
      Type.Literal('left'),
      Type.Literal('removed'),
      Type.Literal('role-changed'),
    ]),
    /** The conversation's seq when it happened: a removed member reads nothing after it. */
    atSeq: Type.Integer({ minimum: 0 }),
    at: Time,
  },
  { additionalProperties: false },
);
export type MemberChangedPayload = Static<typeof MemberChangedPayloadSchema>;
export const MemberChangedEvent = defineEvent('messaging.member.changed.v1', MemberChangedPayloadSchema);

export const MESSAGING_MESSAGE_EVENT_TYPES = [
  MessageCreatedEvent.type,
  MessageEditedEvent.type,
  MessageDeletedEvent.type,
  MessageReactedEvent.type,
  MessageErasedMarker.type,
  SeqVoidedEvent.type,
] as const;
export const MESSAGING_MEMBER_EVENT_TYPES = [
  ConversationCreatedEvent.type,
  ConversationUpdatedEvent.type,
  MemberChangedEvent.type,
] as const;
