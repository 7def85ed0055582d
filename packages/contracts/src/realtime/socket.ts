/**
 * The socket service's protocol (services/socket, packages/socket-client): what a client may send
 * (each validated by the server against these schemas, answered by an acknowledgement) and what
 * the server pushes. One definition for both sides.
 *
 * Rooms are never named by a client: the server decides them from the verified token and
 * messaging's memberships, so there is no "join" event at all.
 */
import { type Static, Type } from 'typebox';
import { type Change, ChangeSchema } from '../http/messaging.ts';

/** Server -> client event names. */
export const SocketServerEvents = {
  /** After the handshake: the conversations whose changes this socket now receives. */
  ready: 'session.ready',
  /** One change of a conversation, exactly as `GET .../changes` lists it. */
  change: 'conversation.change',
  /** The user joined or left a conversation while connected (rooms already follow). */
  membership: 'conversation.membership',
  /** Sent just before the server ends the socket (revoked, expired, draining). */
  ended: 'session.ended',
  /** A user who shares a conversation with this socket's user went online, away or offline. */
  presence: 'presence.changed',
  /** A member is typing in a conversation (show it for `expiresInMs` unless told again). */
  typing: 'conversation.typing',
  /** A member's read pointer moved (direct and group conversations; channels have none). */
  read: 'conversation.read',
} as const;

/** Client -> server event names (each takes one payload and an acknowledgement). */
export const SocketClientEvents = {
  /** Recovery: per conversation the last seq seen; answered with what came after, in order. */
  sync: 'sync',
  /** A fresh access token for the same user and session, before the current one expires. */
  reauthenticate: 'session.reauthenticate',
  /** This device's presence: online (default on connect) or away. */
  setPresence: 'presence.set',
  /** The presence of a conversation's members (the caller must be one). */
  queryPresence: 'presence.query',
  /** The caller types in a conversation (throttled by the server; expires by itself). */
  typing: 'typing',
  /** Moves the caller's read pointer (through messaging) and tells the conversation's members. */
  markRead: 'read',
} as const;

const ConversationId = Type.String({ minLength: 1, maxLength: 128 });

export const SYNC_MAX_CONVERSATIONS = 100;

export const SyncRequestSchema = Type.Object(
  {
    conversations: Type.Array(
      Type.Object(
        { conversationId: ConversationId, since: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
      { maxItems: SYNC_MAX_CONVERSATIONS },
    ),
  },
  { additionalProperties: false },
);
export type SyncRequest = Static<typeof SyncRequestSchema>;

export const ConversationSyncSchema = Type.Object({
  conversationId: ConversationId,
  /** Every change after `since`, gap-free and in seq order (possibly cut at `upTo`). */
  changes: Type.Array(ChangeSchema),
  upTo: Type.Integer({ minimum: 0 }),
  /** More changes exist after `upTo`: sync again from there. */
  hasMore: Type.Boolean(),
  /** The caller is not (or no longer) a member: nothing was sent; stop tracking it. */
  notMember: Type.Optional(Type.Boolean()),
});
export type ConversationSync = Static<typeof ConversationSyncSchema>;

export const ReauthenticateRequestSchema = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 8192 }) },
  { additionalProperties: false },
);
export type ReauthenticateRequest = Static<typeof ReauthenticateRequestSchema>;

// Presence, typing and receipts. Who did it is never in a payload a client sends: the server takes
// the tenant and user from the verified token, and a schema refuses any other field.

export const PresenceStatusSchema = Type.Union([Type.Literal('online'), Type.Literal('away')]);
export type PresenceStatus = 'online' | 'away' | 'offline';

export const SetPresenceRequestSchema = Type.Object(
  { status: PresenceStatusSchema },
  { additionalProperties: false },
);
export type SetPresenceRequest = Static<typeof SetPresenceRequestSchema>;

export const ConversationRequestSchema = Type.Object(
  { conversationId: ConversationId },
  { additionalProperties: false },
);
export type ConversationRequest = Static<typeof ConversationRequestSchema>;

export const TypingRequestSchema = Type.Object(
  {
    conversationId: ConversationId,
    /** false: stopped typing (the indicator goes at once); default true. */
    typing: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type TypingRequest = Static<typeof TypingRequestSchema>;

export const MarkReadRequestSchema = Type.Object(
  { conversationId: ConversationId, seq: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type MarkReadRequest = Static<typeof MarkReadRequestSchema>;

export interface PresenceNotice {
  userId: string;
  status: PresenceStatus;
}

export interface PresenceQueryResult {
  presence: PresenceNotice[];
}

export interface TypingNotice {
  conversationId: string;
  userId: string;
  typing: boolean;
  /** How long to show it without a new notice. */
  expiresInMs: number;
}

export interface ReadNotice {
  conversationId: string;
  userId: string;
  readSeq: number;
}

/** An acknowledgement's refusal: a stable type (like RFC 9457's), a title, a detail. */
export interface SocketErrorBody {
  type:
    | 'validation'
    | 'unknown-event'
    | 'rate-limited'
    | 'payload-too-large'
    | 'unavailable'
    | 'invalid-token'
    | 'not-member';
  title: string;
  detail?: string;
}
export type SocketAck<T> = ({ ok: true } & T) | { ok: false; error: SocketErrorBody };

export interface SyncResult {
  conversations: ConversationSync[];
}

export interface ChangeNotice {
  conversationId: string;
  change: Change;
}

export interface MembershipNotice {
  conversationId: string;
  change: 'joined' | 'left';
  /** The conversation's seq at that moment: joined -> track from here; left -> nothing after. */
  atSeq: number;
}

export interface ReadyNotice {
  userId: string;
  conversations: string[];
}

export interface EndedNotice {
  reason: 'revoked' | 'expired' | 'draining' | 'tenant-suspended';
}
