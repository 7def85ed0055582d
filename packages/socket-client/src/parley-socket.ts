/**
 * The realtime client of Parley's socket service, for the browser and for Node (tests, bots):
 *
 *   const live = new ParleySocket({ url: 'https://chat.example', token: () => auth.accessToken(),
 *     onChange: (conversationId, change) => ui.apply(conversationId, change) });
 *   live.track(conversationId, lastSeqShown);   // for each conversation the UI already shows
 *   live.connect();
 *
 * - Handshake: the access token rides in socket.io's `auth` (asked again at every reconnect, so
 *   a refreshed token is used); `reauthenticate()` hands the open socket a fresh one before expiry.
 * - Websocket transport only (no long-polling, so no sticky sessions anywhere).
 * - Recovery: after each (re)connect, once the server says which rooms it joined, the client sends
 *   the last seq it delivered per tracked conversation and delivers what came after, from
 *   messaging's durable history (works after hours offline, not only after a blip).
 * - Order and once: every change goes through a ConversationStream: seq order, duplicates of
 *   live and recovery dropped (by seq, and creations by message id), a gap that outlives
 *   `gapTimeoutMs` filled by a recovery of that conversation; a recovery that fails is asked
 *   again with backoff until it succeeds (or the socket reconnects, which recovers everything).
 */
import {
  type Change,
  type ChangeNotice,
  type ConversationSync,
  type EndedNotice,
  type MembershipNotice,
  type Message,
  type PresenceNotice,
  type PresenceQueryResult,
  type ReadNotice,
  type ReadPointer,
  type ReadyNotice,
  type SocketAck,
  SocketClientEvents,
  SocketServerEvents,
  SYNC_MAX_CONVERSATIONS,
  type SyncResult,
  type TypingNotice,
} from '@parley/contracts/browser';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { ConversationStream } from './conversation-stream.ts';
import { TypingIndicators } from './typing-indicators.ts';

/** A failed recovery is asked again after 1 s, then 2, 4, ... at most 30 s (with jitter). */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export interface ParleySocketOptions {
  /** The socket service's origin (behind a load balancer: any replica). */
  url: string;
  /** socket.io's path; default `/socket.io`. */
  path?: string;
  /** A current access token; called at every (re)connect. */
  token: () => string | Promise<string>;
  /** Each change of a tracked conversation, in seq order, once. */
  onChange?: (conversationId: string, change: Change) => void;
  /** The message a change is about, as it is now (upsert it by `message.id`). */
  onMessage?: (message: Message, change: Change) => void;
  onMembership?: (notice: MembershipNotice) => void;
  onReady?: (notice: ReadyNotice) => void;
  /** The server ended the session (revoked, expired, tenant suspended): no reconnect follows. */
  onEnded?: (notice: EndedNotice) => void;
  /** Someone who shares a conversation went online, away or offline. */
  onPresence?: (notice: PresenceNotice) => void;
  /** Who is typing in a conversation now (called on each start, stop and expiry). */
  onTyping?: (conversationId: string, userIds: string[]) => void;
  /** A member's read pointer moved (yours on another device too). */
  onRead?: (notice: ReadNotice) => void;
  /** A refused handshake or a failed recovery (the client retries by itself). */
  onError?: (error: Error) => void;
  /** How long a gap in seqs may last before that conversation is recovered. Default 500 ms. */
  gapTimeoutMs?: number;
  /** Acknowledgement timeout of the client's requests. Default 10 s. */
  ackTimeoutMs?: number;
  /** Extra socket.io-client options (tests: `forceNew`, `reconnectionDelay`). */
  io?: Partial<ManagerOptions & SocketOptions>;
}

export class SocketRequestError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.name = 'SocketRequestError';
    this.type = type;
  }
}

export class ParleySocket {
  readonly socket: Socket;
  readonly #options: ParleySocketOptions;
  readonly #streams = new Map<string, ConversationStream>();
  readonly #gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #typing: TypingIndicators;
  #ended = false;
  #syncing: Promise<void> = Promise.resolve();
  /** Conversations whose recovery failed, asked again when #retryTimer fires. */
  readonly #retryIds = new Set<string>();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #syncFailures = 0;

  constructor(options: ParleySocketOptions) {
    this.#options = options;
    this.#typing = new TypingIndicators((conversationId, userIds) =>
      options.onTyping?.(conversationId, userIds),
    );
    this.socket = io(options.url, {
      path: options.path ?? '/socket.io',
      transports: ['websocket'],
      autoConnect: false,
      auth: (callback) => {
        Promise.resolve(options.token()).then(
          (token) => callback({ token }),
          (error: unknown) => {
            options.onError?.(error instanceof Error ? error : new Error(String(error)));
            callback({ token: '' });
          },
        );
      },
      ...options.io,
    });
    this.socket.on(SocketServerEvents.ready, (notice: ReadyNotice) => {
      options.onReady?.(notice);
      this.#queueSync([...this.#streams.keys()]);
    });
    this.socket.on(SocketServerEvents.change, (notice: ChangeNotice) => this.#live(notice));
    this.socket.on(SocketServerEvents.membership, (notice: MembershipNotice) => {
      if (notice.change === 'joined' && !this.#streams.has(notice.conversationId))
        this.#streams.set(notice.conversationId, new ConversationStream(notice.atSeq));
      if (notice.change === 'left') this.untrack(notice.conversationId);
      options.onMembership?.(notice);
    });
    this.socket.on(SocketServerEvents.presence, (notice: PresenceNotice) => options.onPresence?.(notice));
    this.socket.on(SocketServerEvents.typing, (notice: TypingNotice) => this.#typing.accept(notice));
    this.socket.on(SocketServerEvents.read, (notice: ReadNotice) => options.onRead?.(notice));
    this.socket.on(SocketServerEvents.ended, (notice: EndedNotice) => {
      this.#ended = true;
      options.onEnded?.(notice);
    });
    this.socket.on('disconnect', (reason) => this.#reconnectAfterServerDisconnect(reason));
    // A refused handshake (bad or expired token, unknown tenant) is not retried by socket.io
    // itself: retry with a fresh token after a pause, unless the server ended the session.
    this.socket.on('connect_error', (error) => {
      options.onError?.(error);
      if (!this.socket.active && !this.#ended) setTimeout(() => this.socket.connect(), 2_000);
    });
  }

  /** A server-side disconnect without `session.ended` is a draining replica: come back, with jitter. */
  #reconnectAfterServerDisconnect(reason: string): void {
    if (reason !== 'io server disconnect' || this.#ended) return;
    setTimeout(() => {
      if (!this.#ended && !this.socket.connected) this.socket.connect();
    }, Math.random() * 2_000);
  }

  connect(): this {
    this.#ended = false;
    this.socket.connect();
    return this;
  }

  close(): void {
    this.#ended = true;
    for (const timer of this.#gapTimers.values()) clearTimeout(timer);
    this.#gapTimers.clear();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#retryIds.clear();
    this.#typing.clear();
    this.socket.disconnect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Follow a conversation from `lastSeq` (what the UI shows; 0 for everything). */
  track(conversationId: string, lastSeq: number): void {
    const current = this.#streams.get(conversationId);
    if (current && current.lastSeq >= lastSeq) return;
    this.#streams.set(conversationId, new ConversationStream(lastSeq));
    if (this.socket.connected) this.#queueSync([conversationId]);
  }

  untrack(conversationId: string): void {
    this.#streams.delete(conversationId);
    clearTimeout(this.#gapTimers.get(conversationId));
    this.#gapTimers.delete(conversationId);
  }

  /** The last seq delivered for a conversation (undefined when not tracked). */
  lastSeq(conversationId: string): number | undefined {
    return this.#streams.get(conversationId)?.lastSeq;
  }

  /** Recovers every tracked conversation now (also done after each reconnect by itself). */
  sync(): Promise<void> {
    return this.#queueSync([...this.#streams.keys()]);
  }

  /** Presents a fresh access token on the open socket (same user and session), before expiry. */
  async reauthenticate(token?: string): Promise<void> {
    const fresh = token ?? (await this.#options.token());
    await this.#request<object>(SocketClientEvents.reauthenticate, { token: fresh });
  }

  /** This device's presence (a user is online when any device is, away when all are). */
  async setPresence(status: 'online' | 'away'): Promise<void> {
    await this.#request<object>(SocketClientEvents.setPresence, { status });
  }

  /** The presence of a conversation's members now (later changes come through `onPresence`). */
  async presenceOf(conversationId: string): Promise<PresenceNotice[]> {
    return (await this.#request<PresenceQueryResult>(SocketClientEvents.queryPresence, { conversationId }))
      .presence;
  }

  /** Tells the conversation you are typing (call on keystrokes: the server throttles) or stopped. */
  async typing(conversationId: string, typing = true): Promise<void> {
    await this.#request<object>(SocketClientEvents.typing, { conversationId, typing });
  }

  /** Who types in a conversation now, as last told. */
  typingIn(conversationId: string): string[] {
    return this.#typing.typing(conversationId);
  }

  /** Moves your read pointer to `seq` (never back) and tells the members; answers the pointer. */
  async markRead(conversationId: string, seq: number): Promise<ReadPointer> {
    return this.#request<ReadPointer>(SocketClientEvents.markRead, { conversationId, seq });
  }

  async #request<T>(event: string, payload: unknown): Promise<T> {
    const answer = (await this.socket
      .timeout(this.#options.ackTimeoutMs ?? 10_000)
      .emitWithAck(event, payload)) as SocketAck<T>;
    if (!answer.ok) throw new SocketRequestError(answer.error.type, answer.error.title);
    return answer;
  }

  #live(notice: ChangeNotice): void {
    let stream = this.#streams.get(notice.conversationId);
    if (!stream) {
      // A conversation the server routes to us that we do not track yet: follow it from here.
      stream = new ConversationStream(notice.change.seq - 1);
      this.#streams.set(notice.conversationId, stream);
    }
    this.#deliver(notice.conversationId, stream.accept(notice.change));
    this.#watchGap(notice.conversationId, stream);
  }

  #deliver(conversationId: string, changes: Change[]): void {
    for (const change of changes) {
      this.#options.onChange?.(conversationId, change);
      if (change.message) this.#options.onMessage?.(change.message, change);
    }
  }

  #watchGap(conversationId: string, stream: ConversationStream): void {
    const timer = this.#gapTimers.get(conversationId);
    if (!stream.hasGap) {
      clearTimeout(timer);
      this.#gapTimers.delete(conversationId);
      return;
    }
    if (timer) return;
    this.#gapTimers.set(
      conversationId,
      setTimeout(() => {
        this.#gapTimers.delete(conversationId);
        void this.#queueSync([conversationId]);
      }, this.#options.gapTimeoutMs ?? 500),
    );
  }

  /** Syncs run one after another, so two never interleave their deliveries. */
  #queueSync(conversationIds: string[]): Promise<void> {
    this.#syncing = this.#syncing
      .then(() => this.#syncNow(conversationIds))
      .then(
        () => {
          this.#syncFailures = 0;
        },
        (error: unknown) => {
          this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
          this.#retrySync(conversationIds);
        },
      );
    return this.#syncing;
  }

  /**
   * A failed recovery (messaging slow or down, the acknowledgement timed out) is asked again,
   * with backoff: nothing else would ask, since a gap's timer has fired already and the missing
   * changes may be a conversation's last ones (no later change would reveal the gap).
   */
  #retrySync(conversationIds: string[]): void {
    if (this.#ended) return;
    for (const id of conversationIds) this.#retryIds.add(id);
    if (this.#retryTimer) return;
    this.#syncFailures += 1;
    const backoff = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.#syncFailures - 1));
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        const ids = [...this.#retryIds];
        this.#retryIds.clear();
        // Disconnected meanwhile: the reconnect's own recovery asks for everything tracked.
        if (this.socket.connected && !this.#ended) void this.#queueSync(ids);
      },
      backoff * (0.5 + Math.random() / 2),
    );
  }

  async #syncNow(conversationIds: string[]): Promise<void> {
    let todo = conversationIds.filter((id) => this.#streams.has(id));
    while (todo.length > 0 && this.socket.connected) {
      const batch = todo.slice(0, SYNC_MAX_CONVERSATIONS);
      todo = todo.slice(SYNC_MAX_CONVERSATIONS);
      const request = batch.flatMap((conversationId) => {
        const stream = this.#streams.get(conversationId);
        return stream ? [{ conversationId, since: stream.lastSeq }] : [];
      });
      if (request.length === 0) continue;
      const result = await this.#request<SyncResult>(SocketClientEvents.sync, { conversations: request });
      for (const answer of result.conversations) {
        if (this.#apply(answer)) todo.push(answer.conversationId);
      }
    }
  }

  /** Applies one conversation's recovery; true when more is to be fetched. */
  #apply(answer: ConversationSync): boolean {
    if (answer.notMember) {
      this.untrack(answer.conversationId);
      return false;
    }
    const stream = this.#streams.get(answer.conversationId);
    if (!stream) return false;
    for (const change of answer.changes) this.#deliver(answer.conversationId, stream.accept(change));
    // The history is gap-free up to upTo (void seqs included), so nothing below it is missing.
    this.#deliver(answer.conversationId, stream.advanceTo(answer.upTo));
    this.#watchGap(answer.conversationId, stream);
    return answer.hasMore && answer.changes.length > 0;
  }
}
