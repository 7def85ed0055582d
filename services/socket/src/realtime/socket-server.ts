/**
 * The socket.io server of one replica: websocket transport only (no long-polling, so a load
 * balancer needs no sticky sessions), the Redis adapter across replicas, the handshake verified
 * locally through auth-client, rooms decided here.
 *
 * On connect a socket joins its user's room, its session's room, its tenant's room and the room of
 * every conversation messaging says the user belongs to; then it is told `session.ready`. The
 * user room is joined first, so a membership change that happens while the list is read still
 * reaches the socket (workers/delivery.ts joins the user room's sockets on every replica).
 */
import type { Server as HttpServer } from 'node:http';
import { type ReadyNotice, SocketServerEvents } from '@parley/contracts';
import type { Logger } from '@parley/kit';
import type { MessagingClient } from '@parley/messaging-client';
import { Server } from 'socket.io';
import { registerClientEvents } from './client-events.ts';
import { conversationEvents } from './conversation-events.ts';
import type { ParleyServerSocket, SocketData, SocketIdentity } from './identity.ts';
import { conversationsOf } from './memberships.ts';
import { Presence } from './presence.ts';
import type { PresenceStore } from './presence-store.ts';
import { conversationRoom, sessionRoom, tenantRoom, userRoom } from './rooms.ts';
import type { SocketMetrics } from './socket-metrics.ts';

// biome-ignore lint/suspicious/noExplicitAny: socket.io's event maps are per-app; ours are in contracts
export type ParleyIo = Server<any, any, any, SocketData>;

export interface SocketServerOptions {
  httpServer: HttpServer;
  // biome-ignore lint/suspicious/noExplicitAny: the adapter factory's type is socket.io's own
  adapter: any;
  messaging: MessagingClient;
  logger: Logger;
  metrics: SocketMetrics;
  maxPayloadBytes: number;
  eventsPerSecond: number;
  /** Verifies a token and checks its tenant may be served; throws a refusal otherwise. */
  authenticate(token: string): Promise<SocketIdentity>;
  presenceStore: PresenceStore;
  presence: { ttlMs: number; graceMs: number; batchMs: number };
}

/** The reason a handshake was refused, as the client sees it in `connect_error` (`err.data`). */
export class HandshakeRefused extends Error {
  readonly data: { type: string };
  constructor(type: string) {
    super(type);
    this.data = { type };
  }
}

export function createSocketServer(options: SocketServerOptions): { io: ParleyIo; presence: Presence } {
  const { logger, metrics } = options;
  const io: ParleyIo = new Server(options.httpServer, {
    transports: ['websocket'],
    adapter: options.adapter,
    maxHttpBufferSize: options.maxPayloadBytes,
    serveClient: false,
    // Browsers send their origin; a token in `auth` (not a cookie) is what authenticates, so
    // cross-site pages cannot ride a user's session: any origin may connect.
    cors: { origin: true },
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  // What an idle connection holds is its cost at 19,000 per replica (bench: socket-idle-connections).
  // socket.io's own advice: drop engine.io's reference to the upgrade request. That is not enough:
  // engine.io's upgrade path leaves two listeners that keep the request reachable for the life
  // of the connection (WebSocketResponse's `close` on the TCP socket, `onUpgradeError` on the ws),
  // so the request itself is emptied too (headers, raw headers, query: ~2 KB a connection).
  // Nothing reads it after the upgrade: the handshake's auth rides the socket.io CONNECT packet.
  io.engine.on('connection', (rawSocket: { request: UpgradeRequest | null }) => {
    const request = rawSocket.request;
    rawSocket.request = null;
    if (request) releaseUpgradeRequest(request);
  });
  const presence = new Presence({
    io,
    store: options.presenceStore,
    messaging: options.messaging,
    logger,
    ...options.presence,
    onAnnounced: (status, rooms) => {
      metrics.eventsOut.inc({ kind: `presence.${status}` });
      metrics.presenceRooms.observe(rooms);
    },
  });

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
      metrics.handshakes.inc({ outcome: 'refused' });
      return next(new HandshakeRefused('invalid-token'));
    }
    options.authenticate(token).then(
      (identity) => {
        socket.data.identity = identity;
        // The token is read once; a re-authentication brings its own. Not kept per socket.
        socket.handshake.auth = {};
        metrics.handshakes.inc({ outcome: 'accepted' });
        next();
      },
      (error: unknown) => {
        metrics.handshakes.inc({ outcome: 'refused' });
        const type = error instanceof HandshakeRefused ? error.data.type : 'invalid-token';
        next(new HandshakeRefused(type));
      },
    );
  });

  io.on('connection', (socket: ParleyServerSocket) => {
    const identity = socket.data.identity;
    metrics.connections.inc({ tenant: identity.tenant });
    let present = false;
    socket.on('disconnecting', () => {
      if (present) presence.disconnected(socket);
    });
    socket.on('disconnect', () => {
      clearTimeout(socket.data.expiryTimer);
      metrics.connections.dec({ tenant: identity.tenant });
    });
    armExpiry(socket);
    registerClientEvents(socket, {
      messaging: options.messaging,
      logger,
      eventsPerSecond: options.eventsPerSecond,
      verify: options.authenticate,
      onReauthenticated: armExpiry,
      onEvent: (event, outcome) => metrics.eventsIn.inc({ event, outcome }),
      onRecovered: (changes) => metrics.recoveredChanges.observe(changes),
      more: conversationEvents(socket, {
        io,
        messaging: options.messaging,
        presence,
        store: options.presenceStore,
        onEmitted: (kind) => metrics.eventsOut.inc({ kind }),
      }),
    });
    socket.join([
      userRoom(identity.tenant, identity.userId),
      sessionRoom(identity.tenant, identity.sessionId),
      tenantRoom(identity.tenant),
    ]);
    conversationsOf(options.messaging, identity).then(
      (found) => {
        if (!socket.connected) return;
        const ids = found.map((c) => c.id);
        if (found.length > 0) socket.data.kinds = new Map(found.map((c) => [c.id, c.kind]));
        socket.join(ids.map((id) => conversationRoom(identity.tenant, id)));
        // Online once its rooms are joined, so the announcement reaches its conversations.
        present = true;
        presence.connected(socket).catch((error: unknown) => {
          logger.warn({ err: error, tenant: identity.tenant }, 'presence: could not record a socket');
        });
        const ready: ReadyNotice = { userId: identity.userId, conversations: ids };
        socket.emit(SocketServerEvents.ready, ready);
      },
      (error: unknown) => {
        // Without its rooms the socket would miss everything silently: let the client retry.
        logger.warn(
          { err: error, tenant: identity.tenant },
          'could not read memberships; closing the socket',
        );
        socket.disconnect(true);
      },
    );
  });
  return { io, presence };
}

interface UpgradeRequest {
  headers: unknown;
  rawHeaders: unknown;
  _query?: unknown;
  websocket?: unknown;
}

/** Empties what an upgrade request holds once the connection is made (see createSocketServer). */
function releaseUpgradeRequest(request: UpgradeRequest): void {
  request.headers = {};
  request.rawHeaders = [];
  request._query = undefined;
  request.websocket = undefined;
}

/** Ends the socket when its token expires, unless a fresh one is presented before. */
function armExpiry(socket: ParleyServerSocket): void {
  clearTimeout(socket.data.expiryTimer);
  const ms = socket.data.identity.expiresAt * 1000 - Date.now();
  socket.data.expiryTimer = setTimeout(
    () => {
      socket.emit(SocketServerEvents.ended, { reason: 'expired' });
      socket.disconnect(true);
    },
    Math.max(0, Math.min(ms, 2_147_000_000)),
  );
}

/** Ends, on this replica, every socket of a room with a reason the client will not retry past. */
export function endSockets(io: ParleyIo, room: string, reason: 'revoked' | 'tenant-suspended'): void {
  io.local.to(room).emit(SocketServerEvents.ended, { reason });
  io.local.in(room).disconnectSockets(true);
}
