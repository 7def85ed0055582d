/**
 * Delivery: every replica reads every tenant's `messages` and `members` topics itself, with a
 * consumer group of its own (`socket.delivery.<replica>`, starting at the newest records), and
 * emits only to the sockets it holds (`io.local`). Why this path (README "Delivery"):
 * - each change crosses Kafka once per replica and Redis not at all; a replica that dies takes
 *   no other replica's partitions down with it (no rebalance stalls the survivors);
 * - what a replica missed while down its clients recover from messaging's durable history, so
 *   starting at the newest records loses nothing a client could not get back by seq.
 *
 * A message change is emitted as messaging's own `Change` (the same shape `sync` answers). A new
 * message (`message.created`) is built straight from its Kafka record: the record carries all of
 * a new message's state, its body sealed under the tenant key, which this replica opens with a
 * data key the crypto service unwraps for it (cached: one call per data key, not per message).
 * Every other change (an edit, a delete, a reaction: the message's state now, reactions summed)
 * is read from messaging (`changes?since=`, per conversation per batch), as is a creation whose
 * record cannot be opened. A replica with no socket in the conversation's room does neither.
 * Why (README "Payloads"): at 500 changes/s the reads, two Mongo lookups per change per replica,
 * were the whole cost, and on the local FerretDB more than it could serve.
 *
 * Membership: a member joined/added makes the user's sockets here join the conversation room
 * (and tells them), left/removed makes them leave it. The tenant of every event is its topic's.
 */
import {
  type Change,
  type ChangeList,
  type ChangeNotice,
  decodeEnvelope,
  type EventEnvelope,
  MESSAGE_BODY_PURPOSE,
  MESSAGING_MESSAGE_EVENT_TYPES,
  MemberChangedEvent,
  type MemberChangedPayload,
  type MembershipNotice,
  type MessageChangedPayload,
  SeqVoidedEvent,
  SocketServerEvents,
} from '@parley/contracts';
import type { EnvelopeEncryptor } from '@parley/crypto-client';
import { type Logger, TopicPatternConsumer, type Worker } from '@parley/kit';
import type { MessagingClient } from '@parley/messaging-client';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { conversationRoom, userRoom } from '../realtime/rooms.ts';
import type { SocketMetrics } from '../realtime/socket-metrics.ts';
import type { ParleyIo } from '../realtime/socket-server.ts';

const TOPIC_PREFIX = 'parley.';
/** The messages consumer commits its offsets at most this often (not after every batch). */
const MESSAGES_COMMIT_INTERVAL_MS = 1_000;
/** Partitions whose batches the messages consumer handles at once. */
const MESSAGES_PARTITIONS_AT_ONCE = 4;
/** Conversations of one batch read from messaging at once (the local FerretDB's pool is small). */
const READS_IN_FLIGHT = 4;
/** The most changes one read asks for (messaging's own maximum is 500). */
const READ_LIMIT = 200;
/**
 * A conversation's changes this replica could not read (messaging down, slow, its breaker open)
 * are read again after RETRY_FIRST_MS, then twice as long each time up to RETRY_MAX_MS, for at most
 * RETRY_FOR_MS: dropped, they would stay missing for a client that gets no later change of the
 * conversation (the client sees a gap only when a later seq arrives), until it reconnects.
 */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
const RETRY_FOR_MS = 10 * 60_000;

interface ConversationGroup {
  conversationId: string;
  /** The batch's message events of this conversation, by seq (the newest event of a seq wins). */
  events: Map<number, EventEnvelope>;
}

/** One conversation's changes waiting to be read again (see RETRY_FIRST_MS). */
interface PendingRetry {
  tenant: string;
  group: ConversationGroup;
  failures: number;
  firstFailedAt: number;
  timer: NodeJS.Timeout;
}

/** The tenant of `parley.<tenant>.<stream>`. */
export function tenantOfTopic(topic: string, stream: string): string {
  return topic.slice(TOPIC_PREFIX.length, topic.length - stream.length - 1);
}

export interface DeliveryOptions {
  io: ParleyIo;
  kafka: Kafka;
  messaging: MessagingClient;
  /** Opens the bodies of new messages' records (components.ts: data keys from the crypto service). */
  bodies: EnvelopeEncryptor;
  logger: Logger;
  metrics: SocketMetrics;
  replicaId: string;
  topicRefreshMs: number;
  /** Called each time a consumer has joined its group (tests wait for both). */
  onJoin?: (stream: 'messages' | 'members') => void;
}

export class Delivery implements Worker {
  readonly name = 'delivery';
  readonly messages: TopicPatternConsumer;
  readonly members: TopicPatternConsumer;
  readonly #options: DeliveryOptions;
  /** By tenant and conversation. */
  readonly #retries = new Map<string, PendingRetry>();
  /** Reads of messaging in flight, by tenant, actor, conversation, since and limit: one read per span. */
  readonly #reads = new Map<string, Promise<ChangeList>>();
  #stopped = false;

  constructor(options: DeliveryOptions) {
    this.#options = options;
    const consumer = (
      stream: 'messages' | 'members',
      handle: (tenant: string, e: EventEnvelope) => Promise<void>,
      eachBatch: (payload: EachBatchPayload) => Promise<void> = (payload) =>
        this.#batch(payload, stream, handle),
      latency: { commitIntervalMs?: number; partitionsConcurrently?: number } = {},
    ) =>
      new TopicPatternConsumer({
        kafka: options.kafka,
        logger: options.logger,
        groupId: `socket.${stream === 'messages' ? 'delivery' : 'membership'}.${options.replicaId}`,
        pattern: new RegExp(`^parley\\.[a-z0-9-]+\\.${stream}$`),
        refreshMs: options.topicRefreshMs,
        fromBeginning: false,
        maxWaitMs: 100,
        onJoin: () => options.onJoin?.(stream),
        eachBatch,
        ...latency,
      });
    // The hot path: no offset commit between batches (a redelivered change is dropped by the
    // client by seq), and a partition's batch does not wait for another's.
    this.messages = consumer(
      'messages',
      (tenant, envelope) => this.#message(tenant, envelope),
      (payload) => this.#messageBatch(payload),
      { commitIntervalMs: MESSAGES_COMMIT_INTERVAL_MS, partitionsConcurrently: MESSAGES_PARTITIONS_AT_ONCE },
    );
    this.members = consumer('members', (tenant, envelope) => this.#member(tenant, envelope));
  }

  async start(): Promise<void> {
    await Promise.all([this.messages.start(), this.members.start()]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const retry of this.#retries.values()) clearTimeout(retry.timer);
    this.#retries.clear();
    await Promise.all([this.messages.stop(), this.members.stop()]);
  }

  /** Conversations with changes waiting to be read again (tests). */
  get pendingRetries(): number {
    return this.#retries.size;
  }

  /** Re-lists topics now (tests, after creating a tenant's topics). */
  async refresh(): Promise<void> {
    await Promise.all([this.messages.refresh(), this.members.refresh()]);
  }

  /**
   * A batch of the messages topic, read from messaging once per conversation, not once per change:
   * the batch's message changes with sockets here are grouped by conversation, each group is one
   * `changes?since=` read covering its seqs (a hole still in flight splits it into more), at most
   * READS_IN_FLIGHT conversations at a time, and its changes are emitted in seq order. The busier
   * the topic, the bigger the batches, so the fewer reads per change: at 500 changes/s the
   * one-read-per-change path could not keep up with a loaded store (the benchmark's backlog).
   */
  async #messageBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const tenant = tenantOfTopic(batch.topic, 'messages');
    const groups = new Map<string, ConversationGroup>();
    for (const message of batch.messages) {
      const envelope = this.#decode(message.value, batch.topic, message.offset);
      if (!envelope) continue;
      if (!(MESSAGING_MESSAGE_EVENT_TYPES as readonly string[]).includes(envelope.type)) {
        await this.#handleSafely(tenant, envelope, (t, e) => this.#message(t, e));
        continue;
      }
      const payload = envelope.payload as MessageChangedPayload;
      if (typeof payload.conversationId !== 'string' || typeof payload.seq !== 'number') continue;
      if (!this.#hasLocalSockets(conversationRoom(tenant, payload.conversationId))) continue;
      const group = groups.get(payload.conversationId) ?? {
        conversationId: payload.conversationId,
        events: new Map<number, EventEnvelope>(),
      };
      group.events.set(payload.seq, envelope);
      groups.set(payload.conversationId, group);
    }
    const pending = [...groups.values()];
    await Promise.all(
      Array.from({ length: Math.min(READS_IN_FLIGHT, pending.length) }, async () => {
        for (let group = pending.shift(); group; group = pending.shift()) {
          await this.#deliverGroup(tenant, group);
          await heartbeat();
        }
      }),
    );
    const last = batch.messages.at(-1);
    if (last) resolveOffset(last.offset);
    await heartbeat();
  }

  /**
   * One conversation's changes of a batch, emitted in seq order: new messages from their records,
   * the rest in as few reads as the conversation's holes allow.
   */
  async #deliverGroup(tenant: string, group: ConversationGroup): Promise<void> {
    const room = conversationRoom(tenant, group.conversationId);
    const found: Change[] = [];
    const toRead = new Map<number, EventEnvelope>();
    await Promise.all(
      [...group.events].map(async ([seq, envelope]) => {
        const change = await this.#fromRecord(tenant, envelope);
        if (change) found.push(change);
        else toRead.set(seq, envelope);
      }),
    );
    const fromRecords = found.length;
    const wanted = new Set(toRead.keys());
    try {
      while (wanted.size > 0) {
        const lowest = Math.min(...wanted);
        const highest = Math.max(...wanted);
        const actor = (toRead.get(lowest)?.payload as MessageChangedPayload | undefined)?.actorId ?? '';
        const list = await this.#read(
          tenant,
          actor,
          group.conversationId,
          lowest - 1,
          Math.min(READ_LIMIT, highest - lowest + 1),
        );
        for (const change of list.changes) if (wanted.delete(change.seq)) found.push(change);
        // The lowest not there: not readable any more (retention, a removal); clients sync by seq.
        // Each round so takes at least one seq off, and the loop ends.
        wanted.delete(lowest);
      }
    } catch (error) {
      // The read failed (messaging down or slow, the actor removed meanwhile): emit what was
      // read, and read the rest again later (#retryLater).
      this.#options.logger.warn(
        { err: error, tenant, conversationId: group.conversationId, unread: wanted.size },
        'delivery of a conversation batch failed; will read it again',
      );
      const unread = new Map([...toRead].filter(([seq]) => wanted.has(seq)));
      this.#retryLater(tenant, { conversationId: group.conversationId, events: unread });
    }
    const { metrics } = this.#options;
    if (fromRecords > 0) metrics.deliveredChanges.inc({ source: 'record' }, fromRecords);
    if (found.length > fromRecords)
      metrics.deliveredChanges.inc({ source: 'read' }, found.length - fromRecords);
    found.sort((a, b) => a.seq - b.seq);
    for (const change of found) {
      this.#emit(room, { conversationId: group.conversationId, change }, change.kind);
      const at = (group.events.get(change.seq)?.payload as MessageChangedPayload | undefined)?.at;
      if (at) metrics.deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(at)) / 1000);
    }
  }

  /**
   * A void seq as it is, and a new message as messaging's `changes` shows it at its creation, from its record alone: a
   * creation's record holds the whole state (no edit, reaction or reply can precede it; later ones
   * are changes of their own, with higher seqs). Undefined for any other change, a record without
   * the body or the client's id (written before they were carried), or a body that does not open
   * (a shredded key, the crypto service down): those are read from messaging.
   */
  async #fromRecord(tenant: string, envelope: EventEnvelope): Promise<Change | undefined> {
    if (envelope.type === SeqVoidedEvent.type) {
      const voided = envelope.payload as { seq: number; at: string };
      return { seq: voided.seq, kind: 'void', at: voided.at };
    }
    const payload = envelope.payload as MessageChangedPayload;
    if (payload.kind !== 'message.created' || payload.deleted) return undefined;
    if (payload.sealed === undefined || payload.clientMessageId === undefined) return undefined;
    let text: unknown;
    try {
      // Opened under the topic's tenant (a record on another tenant's topic would not open), AAD
      // the message id (a body copied onto another message does not open either).
      const plain = await this.#options.bodies.decrypt(
        tenant,
        MESSAGE_BODY_PURPOSE,
        Buffer.from(payload.sealed, 'base64'),
        Buffer.from(payload.messageId),
      );
      text = (JSON.parse(plain.toString('utf8')) as { text?: unknown }).text;
    } catch (error) {
      this.#options.logger.warn(
        { err: error, tenant, conversationId: payload.conversationId, seq: payload.seq },
        "a new message's record did not open; reading it from messaging",
      );
      return undefined;
    }
    if (typeof text !== 'string') return undefined;
    return {
      seq: payload.seq,
      kind: 'message.created',
      at: payload.at,
      messageId: payload.messageId,
      message: {
        id: payload.messageId,
        conversationId: payload.conversationId,
        seq: payload.messageSeq,
        changeSeq: payload.seq,
        senderId: payload.senderId,
        clientMessageId: payload.clientMessageId,
        createdAt: payload.createdAt,
        text,
        deleted: false,
        ...(payload.parentId ? { parentId: payload.parentId } : {}),
        replyCount: 0,
        mentions: payload.mentions,
        reactions: [],
        attachments: payload.attachments ?? [],
      },
    };
  }

  /** One `changes` read as `actor`; a read of the same span already in flight is shared, not repeated. */
  #read(
    tenant: string,
    actor: string,
    conversationId: string,
    since: number,
    limit: number,
  ): Promise<ChangeList> {
    const key = `${tenant}\u0000${actor}\u0000${conversationId}\u0000${since}\u0000${limit}`;
    const inFlight = this.#reads.get(key);
    if (inFlight) return inFlight;
    const read = this.#options.messaging
      .as({ tenant, userId: actor, roles: ['member'] })
      .changes(conversationId, since, limit)
      .finally(() => this.#reads.delete(key));
    this.#reads.set(key, read);
    return read;
  }

  /**
   * Changes that could not be read are read again with backoff, merged per conversation, while
   * this replica still holds sockets in its room (a client that connects later recovers them by
   * its own sync). Out of order with live changes meanwhile is fine: the client library puts
   * changes back in seq order and drops what it has.
   */
  #retryLater(tenant: string, group: ConversationGroup): void {
    if (this.#stopped || group.events.size === 0) return;
    const key = `${tenant}\u0000${group.conversationId}`;
    const pending = this.#retries.get(key);
    if (pending) {
      for (const [seq, envelope] of group.events) pending.group.events.set(seq, envelope);
      return;
    }
    this.#schedule(key, { tenant, group, failures: 1, firstFailedAt: Date.now() });
  }

  #schedule(key: string, retry: Omit<PendingRetry, 'timer'>): void {
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (retry.failures - 1));
    const timer = setTimeout(() => {
      this.#retries.delete(key);
      const room = conversationRoom(retry.tenant, retry.group.conversationId);
      if (this.#stopped || !this.#hasLocalSockets(room)) return;
      void this.#deliverGroup(retry.tenant, retry.group).then(() => {
        // Failed again: #deliverGroup put what is still unread back (a fresh entry): carry the count.
        const again = this.#retries.get(key);
        if (!again) return;
        clearTimeout(again.timer);
        this.#retries.delete(key);
        if (Date.now() - retry.firstFailedAt > RETRY_FOR_MS) {
          this.#options.logger.warn(
            { tenant: retry.tenant, conversationId: retry.group.conversationId },
            'delivery: changes still unreadable, given up (clients recover them by sync)',
          );
          return;
        }
        this.#schedule(key, { ...again, failures: retry.failures + 1, firstFailedAt: retry.firstFailedAt });
      });
    }, delay);
    timer.unref();
    this.#retries.set(key, { ...retry, timer });
  }

  #decode(value: Buffer | null, topic: string, offset: string): EventEnvelope | undefined {
    if (!value) return undefined;
    try {
      return decodeEnvelope(value);
    } catch {
      this.#options.logger.warn({ topic, offset }, 'undecodable event skipped');
      return undefined;
    }
  }

  async #handleSafely(
    tenant: string,
    envelope: EventEnvelope,
    handle: (tenant: string, envelope: EventEnvelope) => Promise<void>,
  ): Promise<void> {
    try {
      await handle(tenant, envelope);
    } catch (error) {
      // One change a replica failed to read: its clients fill the gap by sync (seq gap).
      this.#options.logger.warn({ err: error, tenant, type: envelope.type }, 'delivery of one event failed');
    }
  }

  async #batch(
    { batch, resolveOffset, heartbeat }: EachBatchPayload,
    stream: string,
    handle: (tenant: string, envelope: EventEnvelope) => Promise<void>,
  ): Promise<void> {
    const tenant = tenantOfTopic(batch.topic, stream);
    for (const message of batch.messages) {
      const envelope = this.#decode(message.value, batch.topic, message.offset);
      if (envelope) await this.#handleSafely(tenant, envelope, handle);
      resolveOffset(message.offset);
      await heartbeat();
    }
  }

  async #message(tenant: string, envelope: EventEnvelope): Promise<void> {
    const { metrics } = this.#options;
    if (envelope.type === SeqVoidedEvent.type) {
      const payload = envelope.payload as { conversationId: string; seq: number; at: string };
      const room = conversationRoom(tenant, payload.conversationId);
      if (!this.#hasLocalSockets(room)) return;
      const change: Change = { seq: payload.seq, kind: 'void', at: payload.at };
      this.#emit(room, { conversationId: payload.conversationId, change }, 'void');
      return;
    }
    if (!(MESSAGING_MESSAGE_EVENT_TYPES as readonly string[]).includes(envelope.type)) return;
    const payload = envelope.payload as MessageChangedPayload;
    if (typeof payload.conversationId !== 'string' || typeof payload.seq !== 'number') return;
    const room = conversationRoom(tenant, payload.conversationId);
    if (!this.#hasLocalSockets(room)) return;
    const list = await this.#options.messaging
      .as({ tenant, userId: payload.actorId, roles: ['member'] })
      .changes(payload.conversationId, payload.seq - 1, 1);
    const change = list.changes.find((c) => c.seq === payload.seq);
    if (!change) return; // not readable any more (retention, a later removal): clients sync by seq
    this.#emit(room, { conversationId: payload.conversationId, change }, change.kind);
    metrics.deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(payload.at)) / 1000);
  }

  async #member(tenant: string, envelope: EventEnvelope): Promise<void> {
    if (envelope.type !== MemberChangedEvent.type) return;
    const payload = envelope.payload as MemberChangedPayload;
    const { io } = this.#options;
    const user = userRoom(tenant, payload.userId);
    const room = conversationRoom(tenant, payload.conversationId);
    const joined = payload.change === 'joined' || payload.change === 'added';
    const left = payload.change === 'left' || payload.change === 'removed';
    if (!joined && !left) return;
    if (joined) io.local.in(user).socketsJoin(room);
    else io.local.in(user).socketsLeave(room);
    const notice: MembershipNotice = {
      conversationId: payload.conversationId,
      change: joined ? 'joined' : 'left',
      atSeq: payload.atSeq,
    };
    io.local.to(user).emit(SocketServerEvents.membership, notice);
    this.#options.metrics.eventsOut.inc({ kind: `membership.${notice.change}` });
  }

  #hasLocalSockets(room: string): boolean {
    return (this.#options.io.of('/').adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  #emit(room: string, notice: ChangeNotice, kind: string): void {
    this.#options.io.local.to(room).emit(SocketServerEvents.change, notice);
    this.#options.metrics.eventsOut.inc({ kind });
  }
}
