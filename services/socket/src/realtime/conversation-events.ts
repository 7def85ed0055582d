/**
 * Client events about the people in a conversation: presence, typing, read receipts. Who acts is
 * always the socket's verified identity (the schemas refuse any other field, so a forged `tenant`
 * or `userId` is an error, never used), and a conversation is one of the socket's rooms, which
 * only the server joins: a non-member, or another tenant's socket naming the same id, is refused
 * `not-member` and nothing is sent to anyone.
 *
 * - `presence.set {status}`: this device online or away (presence.ts batches and fans out).
 * - `presence.query {conversationId}`: its members' statuses (members asked of messaging, as the user).
 * - `typing {conversationId, typing?}`: broadcast to the other members, at most once per
 *   `TYPING_THROTTLE_MS` per socket and conversation (more are acknowledged, not repeated); it
 *   expires by itself after `TYPING_EXPIRES_MS` on the receivers.
 * - `read {conversationId, seq}`: moves the read pointer in messaging (the truth: it clamps and
 *   never goes back), then tells the user's devices and, in direct and group conversations, the
 *   members (channels keep receipts private: too many readers to be useful).
 */
import {
  ConversationRequestSchema,
  MarkReadRequestSchema,
  type PresenceNotice,
  type ReadNotice,
  SetPresenceRequestSchema,
  SocketClientEvents,
  SocketServerEvents,
  type TypingNotice,
  TypingRequestSchema,
} from '@parley/contracts';
import type { MessagingClient } from '@parley/messaging-client';
import { Compile } from 'typebox/compile';
import type { ParleyServerSocket } from './identity.ts';
import type { Presence } from './presence.ts';
import type { PresenceStore } from './presence-store.ts';
import { conversationRoom, userRoom } from './rooms.ts';
import type { ParleyIo } from './socket-server.ts';

export const TYPING_THROTTLE_MS = 2_000;
export const TYPING_EXPIRES_MS = 6_000;
/** Members whose presence one query answers at most (a large channel's first ones). */
const PRESENCE_QUERY_MAX_MEMBERS = 1_000;

const setPresence = Compile(SetPresenceRequestSchema);
const conversationRequest = Compile(ConversationRequestSchema);
const typingRequest = Compile(TypingRequestSchema);
const markReadRequest = Compile(MarkReadRequestSchema);

export interface ConversationEventDeps {
  io: ParleyIo;
  messaging: MessagingClient;
  presence: Presence;
  store: PresenceStore;
  onEmitted?: (kind: string) => void;
}

export type Handler = (payload: unknown) => Promise<unknown>;

const refuse = (type: 'validation' | 'not-member', title: string) => ({
  ok: false as const,
  error: { type, title },
});
const invalid = () => refuse('validation', 'the event does not match its schema');
const notMember = () => refuse('not-member', 'not a member of that conversation');

export function conversationEvents(
  socket: ParleyServerSocket,
  deps: ConversationEventDeps,
): Record<string, Handler> {
  const { tenant, userId } = socket.data.identity;
  const member = (conversationId: string) => socket.rooms.has(conversationRoom(tenant, conversationId));
  const calls = () => deps.messaging.as({ tenant, userId, roles: socket.data.identity.roles });
  // Made on the first typing event: most sockets never type, and each idle one counts.
  let lastTyping: Map<string, number> | undefined;

  return {
    [SocketClientEvents.setPresence]: async (payload) => {
      if (!setPresence.Check(payload)) return invalid();
      await deps.presence.set(socket, payload.status);
      return { ok: true };
    },

    [SocketClientEvents.queryPresence]: async (payload) => {
      if (!conversationRequest.Check(payload)) return invalid();
      if (!member(payload.conversationId)) return notMember();
      const userIds: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await calls().listMembers(payload.conversationId, {
          limit: 100,
          ...(cursor ? { cursor } : {}),
        });
        for (const m of page.members) userIds.push(m.userId);
        cursor = page.nextCursor;
      } while (cursor && userIds.length < PRESENCE_QUERY_MAX_MEMBERS);
      const statuses = await deps.store.statusOf(tenant, userIds.slice(0, PRESENCE_QUERY_MAX_MEMBERS));
      const presence: PresenceNotice[] = [...statuses].map(([id, status]) => ({ userId: id, status }));
      return { ok: true, presence };
    },

    [SocketClientEvents.typing]: async (payload) => {
      if (!typingRequest.Check(payload)) return invalid();
      if (!member(payload.conversationId)) return notMember();
      const typing = payload.typing ?? true;
      const now = Date.now();
      if (typing && now - (lastTyping?.get(payload.conversationId) ?? 0) < TYPING_THROTTLE_MS)
        return { ok: true, throttled: true };
      if (typing) {
        lastTyping ??= new Map();
        lastTyping.set(payload.conversationId, now);
      } else lastTyping?.delete(payload.conversationId);
      const notice: TypingNotice = {
        conversationId: payload.conversationId,
        userId,
        typing,
        expiresInMs: TYPING_EXPIRES_MS,
      };
      socket
        .to(conversationRoom(tenant, payload.conversationId))
        .except(userRoom(tenant, userId))
        .emit(SocketServerEvents.typing, notice);
      deps.onEmitted?.('typing');
      return { ok: true };
    },

    [SocketClientEvents.markRead]: async (payload) => {
      if (!markReadRequest.Check(payload)) return invalid();
      if (!member(payload.conversationId)) return notMember();
      const pointer = await calls().markRead(payload.conversationId, payload.seq);
      const kind =
        socket.data.kinds?.get(payload.conversationId) ??
        (await calls().getConversation(payload.conversationId)).kind;
      socket.data.kinds?.set(payload.conversationId, kind);
      const notice: ReadNotice = { conversationId: payload.conversationId, userId, readSeq: pointer.readSeq };
      const rooms = [userRoom(tenant, userId)];
      if (kind !== 'channel') rooms.push(conversationRoom(tenant, payload.conversationId));
      deps.io.to(rooms).emit(SocketServerEvents.read, notice);
      deps.onEmitted?.('read');
      return { ok: true, ...pointer };
    },
  };
}
