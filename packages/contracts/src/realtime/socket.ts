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
} as const;

/** Client -> server event names (each takes one payload and an acknowledgement). */
export const SocketClientEvents = {
  /** Recovery: per conversation the last seq seen; answered with what came after, in order. */
  sync: 'sync',
  /** A fresh access token for the same user and session, before the current one expires. */
  reauthenticate: 'session.reauthenticate',
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

/** An acknowledgement's refusal: a stable type (like RFC 9457's), a title, a detail. */
export interface SocketErrorBody {
  type:
    | 'validation'
    | 'unknown-event'
    | 'rate-limited'
    | 'payload-too-large'
    | 'unavailable'
    | 'invalid-token';
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
