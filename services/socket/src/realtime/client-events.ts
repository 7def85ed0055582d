/**
 * What a client may ask on an open socket, each payload validated against its TypeBox schema and
 * answered through the acknowledgement (`{ ok: true, ... }` or `{ ok: false, error }`); a bad
 * event never closes the socket. There is no event that joins a room.
 *
 * - `sync`: recovery. Each conversation's changes after `since`, read from messaging as the
 *   socket's own user, so messaging decides membership: a conversation the user is not in (or
 *   another tenant's id) answers `notMember` and nothing else.
 * - `session.reauthenticate`: a fresh token of the same tenant, user and session moves the expiry.
 * - presence, typing and read receipts: conversation-events.ts.
 */
import {
  type ConversationSync,
  ReauthenticateRequestSchema,
  SocketClientEvents,
  type SocketErrorBody,
  SyncRequestSchema,
} from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { type MessagingClient, MessagingServiceError } from '@parley/messaging-client';
import { Compile } from 'typebox/compile';
import { EventRateLimit } from './event-rate-limit.ts';
import type { ParleyServerSocket, SocketIdentity } from './identity.ts';

const syncRequest = Compile(SyncRequestSchema);
const reauthenticateRequest = Compile(ReauthenticateRequestSchema);

/** Pages of changes one sync answers per conversation at most (the client asks again for more). */
const SYNC_PAGE_LIMIT = 200;

export interface ClientEventDeps {
  messaging: MessagingClient;
  logger: Logger;
  eventsPerSecond: number;
  /** Verifies a presented token (auth-client); throws when refused. */
  verify(token: string): Promise<SocketIdentity>;
  /** The socket's identity changed (a new expiry): re-arm its timer. */
  onReauthenticated(socket: ParleyServerSocket): void;
  onEvent?(event: string, outcome: 'ok' | 'refused'): void;
  /** Changes one sync answered for one conversation. */
  onRecovered?(changes: number): void;
  /** The events about a conversation's people (conversation-events.ts). */
  more?: Record<string, (payload: unknown) => Promise<unknown>>;
}

type Ack = (answer: unknown) => void;
const refuse = (type: SocketErrorBody['type'], title: string, detail?: string) => ({
  ok: false as const,
  error: { type, title, ...(detail ? { detail } : {}) },
});

export function registerClientEvents(socket: ParleyServerSocket, deps: ClientEventDeps): void {
  const limit = new EventRateLimit(deps.eventsPerSecond);
  const handlers: Record<string, (payload: unknown) => Promise<unknown>> = {
    [SocketClientEvents.sync]: (payload) => sync(socket.data.identity, payload, deps),
    [SocketClientEvents.reauthenticate]: async (payload) => {
      if (!reauthenticateRequest.Check(payload))
        return refuse('validation', 'the event does not match its schema');
      const current = socket.data.identity;
      let next: SocketIdentity;
      try {
        next = await deps.verify(payload.token);
      } catch {
        return refuse('invalid-token', 'the token was refused');
      }
      if (
        next.tenant !== current.tenant ||
        next.userId !== current.userId ||
        next.sessionId !== current.sessionId
      )
        return refuse('invalid-token', 'the token is of another tenant, user or session');
      socket.data.identity = next;
      deps.onReauthenticated(socket);
      return { ok: true, expiresAt: next.expiresAt };
    },
    ...deps.more,
  };
  // Every event passes here (socket.io calls onAny for each), so none goes unanswered.
  socket.onAny((event: unknown, ...args: unknown[]) => {
    const last = args.at(-1);
    const ack: Ack | undefined = typeof last === 'function' ? (last as Ack) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    const answer = (value: unknown, outcome: 'ok' | 'refused') => {
      deps.onEvent?.(typeof event === 'string' && handlers[event] ? event : 'unknown', outcome);
      ack?.(value);
    };
    if (!limit.take()) return answer(refuse('rate-limited', 'too many events; slow down'), 'refused');
    const handler = typeof event === 'string' && Object.hasOwn(handlers, event) ? handlers[event] : undefined;
    if (!handler) return answer(refuse('unknown-event', 'no such event'), 'refused');
    if (!ack) return answer(undefined, 'refused'); // every request wants an answer; without one it is ignored
    handler(payload).then(
      (value) => answer(value, (value as { ok?: boolean }).ok ? 'ok' : 'refused'),
      (error: unknown) => {
        deps.logger.warn({ err: error, event }, 'client event failed');
        answer(refuse('unavailable', 'could not answer now; retry'), 'refused');
      },
    );
  });
}

async function sync(identity: SocketIdentity, payload: unknown, deps: ClientEventDeps): Promise<unknown> {
  if (!syncRequest.Check(payload)) return refuse('validation', 'the event does not match its schema');
  const calls = deps.messaging.as({
    tenant: identity.tenant,
    userId: identity.userId,
    roles: identity.roles,
  });
  const conversations = await Promise.all(
    payload.conversations.map(async ({ conversationId, since }): Promise<ConversationSync> => {
      try {
        const list = await calls.changes(conversationId, since, SYNC_PAGE_LIMIT);
        deps.onRecovered?.(list.changes.length);
        return { conversationId, changes: list.changes, upTo: list.upTo, hasMore: list.hasMore };
      } catch (error) {
        // 404 (not a member, no such conversation, another tenant's id) and 403 look alike.
        if (error instanceof MessagingServiceError && [400, 403, 404].includes(error.status))
          return { conversationId, changes: [], upTo: since, hasMore: false, notMember: true };
        throw error;
      }
    }),
  );
  return { ok: true, conversations };
}
