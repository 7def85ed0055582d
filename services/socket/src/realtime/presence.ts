/**
 * Presence across devices and replicas (Redis layout in presence-store.ts):
 * - a socket's connect, disconnect or `presence.set` marks its user as changed; every `batchMs`
 *   the changed users' statuses are read from Redis and each one that differs from what was last
 *   announced (SET ... GET: one replica announces, not each) is emitted once, so a user's status
 *   goes out at most once per batch however many devices flap;
 * - offline only after `graceMs` of being offline, so a reconnect (to any replica) is no flap: in a
 *   reconnect storm the users read online again before the grace ends and nothing is sent;
 * - fan-out only to those who can see the user: the rooms of the user's conversations (and the
 *   user's own devices), one emit through the adapter per change, whichever replicas hold them;
 * - each replica refreshes its sockets' expiry every third of the TTL; a replica that died stops,
 *   its sockets expire, and any replica holding sockets of that tenant finds those users and
 *   announces them offline (their conversations asked of messaging, as the user).
 */
import { type PresenceNotice, type PresenceStatus, SocketServerEvents } from '@parley/contracts';
import type { Logger, Worker } from '@parley/kit';
import type { MessagingClient } from '@parley/messaging-client';
import type { ParleyServerSocket } from './identity.ts';
import { conversationIdsOf } from './memberships.ts';
import type { PresenceStore, SocketStatus } from './presence-store.ts';
import { conversationRoom, userRoom } from './rooms.ts';
import type { ParleyIo } from './socket-server.ts';

export interface PresenceOptions {
  io: ParleyIo;
  store: PresenceStore;
  messaging: MessagingClient;
  logger: Logger;
  ttlMs: number;
  graceMs: number;
  batchMs: number;
  /** Each announcement: the rooms it went to. */
  onAnnounced?: (status: PresenceStatus, rooms: number) => void;
}

interface Changed {
  tenant: string;
  userId: string;
  /** Conversation rooms known for the user (its sockets' here, or a departed socket's). */
  rooms: Set<string>;
  offlineSince?: number;
}

const entryOf = (socket: ParleyServerSocket, status: SocketStatus = socket.data.status ?? 'online') => ({
  tenant: socket.data.identity.tenant,
  userId: socket.data.identity.userId,
  socketId: socket.id,
  status,
});

export class Presence implements Worker {
  readonly name = 'presence';
  readonly #o: PresenceOptions;
  readonly #changed = new Map<string, Changed>();
  #timers: NodeJS.Timeout[] = [];
  #flushing: Promise<void> | undefined;

  constructor(options: PresenceOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const every = (ms: number, run: () => Promise<void>) => {
      const timer = setInterval(() => {
        run().catch((error: unknown) => this.#o.logger.warn({ err: error }, 'presence round failed'));
      }, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(this.#o.batchMs, () => this.flush());
    every(Math.max(100, Math.floor(this.#o.ttlMs / 3)), () => this.#refreshAndSweep());
  }

  /** Stops announcing: a draining replica's departing sockets must not read as offline. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#flushing;
  }

  async connected(socket: ParleyServerSocket): Promise<void> {
    socket.data.status = 'online';
    await this.#o.store.put([entryOf(socket)]);
    this.#mark(socket, conversationRoomsOf(socket));
  }

  /** Called on `disconnecting`, while the socket still has its rooms. */
  disconnected(socket: ParleyServerSocket): void {
    const rooms = conversationRoomsOf(socket);
    this.#o.store.remove(entryOf(socket)).then(
      () => this.#mark(socket, rooms),
      (error: unknown) => this.#o.logger.warn({ err: error }, 'presence: could not remove a socket'),
    );
  }

  async set(socket: ParleyServerSocket, status: SocketStatus): Promise<void> {
    const previous = socket.data.status ?? 'online';
    socket.data.status = status;
    await this.#o.store.put([entryOf(socket, status)], previous);
    this.#mark(socket, conversationRoomsOf(socket));
  }

  #mark(socket: ParleyServerSocket, rooms: Set<string>): void {
    this.#markUser(socket.data.identity.tenant, socket.data.identity.userId, rooms);
  }

  #markUser(tenant: string, userId: string, rooms: Set<string>): void {
    const key = `${tenant}\u0000${userId}`;
    const changed = this.#changed.get(key) ?? { tenant, userId, rooms: new Set<string>() };
    for (const room of rooms) changed.rooms.add(room);
    this.#changed.set(key, changed);
  }

  /** One batch: the changed users' statuses, each announced once if it changed (tests call it). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushNow().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    const batch = [...this.#changed.entries()];
    this.#changed.clear();
    const byTenant = new Map<string, [string, Changed][]>();
    for (const item of batch) byTenant.set(item[1].tenant, [...(byTenant.get(item[1].tenant) ?? []), item]);
    for (const [tenant, items] of byTenant) {
      const statuses = await this.#o.store.statusOf(
        tenant,
        items.map(([, c]) => c.userId),
      );
      for (const [key, changed] of items) {
        const status = statuses.get(changed.userId) ?? 'offline';
        if (status === 'offline') {
          const since = changed.offlineSince ?? Date.now();
          if (Date.now() - since < this.#o.graceMs) {
            // Not yet: look again next batch (a newer change of this user merges in).
            const newer = this.#changed.get(key);
            this.#changed.set(key, {
              ...changed,
              offlineSince: since,
              rooms: new Set([...changed.rooms, ...(newer?.rooms ?? [])]),
            });
            continue;
          }
        }
        if (await this.#o.store.tell(tenant, changed.userId, status)) await this.#announce(changed, status);
      }
    }
  }

  async #announce(changed: Changed, status: PresenceStatus): Promise<void> {
    const { tenant, userId } = changed;
    const rooms = new Set([...changed.rooms, ...this.#localConversationRooms(tenant, userId)]);
    if (rooms.size === 0) {
      // Nothing known here (its replica died): the user's conversations, from messaging.
      const ids = await conversationIdsOf(this.#o.messaging, { tenant, userId, roles: ['member'] });
      for (const id of ids) rooms.add(conversationRoom(tenant, id));
    }
    rooms.add(userRoom(tenant, userId));
    const notice: PresenceNotice = { userId, status };
    this.#o.io.to([...rooms]).emit(SocketServerEvents.presence, notice);
    this.#o.onAnnounced?.(status, rooms.size);
  }

  #localConversationRooms(tenant: string, userId: string): Set<string> {
    const rooms = new Set<string>();
    const nsp = this.#o.io.of('/');
    for (const id of nsp.adapter.rooms.get(userRoom(tenant, userId)) ?? []) {
      const socket = nsp.sockets.get(id);
      if (socket) for (const room of conversationRoomsOf(socket)) rooms.add(room);
    }
    return rooms;
  }

  async #refreshAndSweep(): Promise<void> {
    const sockets = [...this.#o.io.of('/').sockets.values()] as ParleyServerSocket[];
    await this.#o.store.put(sockets.map((socket) => entryOf(socket)));
    const tenants = new Set(sockets.map((socket) => socket.data.identity.tenant));
    for (const tenant of tenants) {
      const expired = await this.#o.store.expiredUsers(tenant);
      // Their sockets are gone for a whole TTL already: no further grace.
      for (const userId of expired) {
        this.#markUser(tenant, userId, new Set());
        const changed = this.#changed.get(`${tenant}\u0000${userId}`);
        if (changed) changed.offlineSince = 0;
      }
      await this.#o.store.forgetExpired(tenant, expired);
    }
  }
}

function conversationRoomsOf(socket: ParleyServerSocket): Set<string> {
  const prefix = conversationRoom(socket.data.identity.tenant, '');
  return new Set([...socket.rooms].filter((room) => room.startsWith(prefix)));
}
