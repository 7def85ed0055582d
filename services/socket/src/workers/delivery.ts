/**
 * Delivery: every replica reads every tenant's `messages` and `members` topics itself, with a
 * consumer group of its own (`socket.delivery.<replica>`, starting at the newest records), and
 * emits only to the sockets it holds (`io.local`). Why this path (README "Delivery"):
 * - each change crosses Kafka once per replica and Redis not at all; a replica that dies takes
 *   no other replica's partitions down with it (no rebalance stalls the survivors);
 * - what a replica missed while down its clients recover from messaging's durable history, so
 *   starting at the newest records loses nothing a client could not get back by seq.
 *
 * A message change is emitted as messaging's own `Change` (the same shape `sync` answers), read
 * once per replica from `GET .../changes?since=seq-1&limit=1` as the change's actor, so content is
 * decrypted by messaging (the only holder of the tenant key's use) and the socket service never
 * touches key material. A replica with no socket in the conversation's room skips the read.
 *
 * Membership: a member joined/added makes the user's sockets here join the conversation room
 * (and tells them), left/removed makes them leave it. The tenant of every event is its topic's.
 */
import {
  type Change,
  type ChangeNotice,
  decodeEnvelope,
  type EventEnvelope,
  MESSAGING_MESSAGE_EVENT_TYPES,
  MemberChangedEvent,
  type MemberChangedPayload,
  type MembershipNotice,
  type MessageChangedPayload,
  SeqVoidedEvent,
  SocketServerEvents,
} from '@parley/contracts';
import { type Logger, TopicPatternConsumer, type Worker } from '@parley/kit';
import type { MessagingClient } from '@parley/messaging-client';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { conversationRoom, userRoom } from '../realtime/rooms.ts';
import type { SocketMetrics } from '../realtime/socket-metrics.ts';
import type { ParleyIo } from '../realtime/socket-server.ts';

const TOPIC_PREFIX = 'parley.';

/** The tenant of `parley.<tenant>.<stream>`. */
export function tenantOfTopic(topic: string, stream: string): string {
  return topic.slice(TOPIC_PREFIX.length, topic.length - stream.length - 1);
}

export interface DeliveryOptions {
  io: ParleyIo;
  kafka: Kafka;
  messaging: MessagingClient;
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

  constructor(options: DeliveryOptions) {
    this.#options = options;
    const consumer = (
      stream: 'messages' | 'members',
      handle: (tenant: string, e: EventEnvelope) => Promise<void>,
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
        eachBatch: (payload) => this.#batch(payload, stream, handle),
      });
    this.messages = consumer('messages', (tenant, envelope) => this.#message(tenant, envelope));
    this.members = consumer('members', (tenant, envelope) => this.#member(tenant, envelope));
  }

  async start(): Promise<void> {
    await Promise.all([this.messages.start(), this.members.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.messages.stop(), this.members.stop()]);
  }

  /** Re-lists topics now (tests, after creating a tenant's topics). */
  async refresh(): Promise<void> {
    await Promise.all([this.messages.refresh(), this.members.refresh()]);
  }

  async #batch(
    { batch, resolveOffset, heartbeat }: EachBatchPayload,
    stream: string,
    handle: (tenant: string, envelope: EventEnvelope) => Promise<void>,
  ): Promise<void> {
    const tenant = tenantOfTopic(batch.topic, stream);
    for (const message of batch.messages) {
      if (message.value) {
        let envelope: EventEnvelope | undefined;
        try {
          envelope = decodeEnvelope(message.value);
        } catch {
          this.#options.logger.warn(
            { topic: batch.topic, offset: message.offset },
            'undecodable event skipped',
          );
        }
        if (envelope) {
          try {
            await handle(tenant, envelope);
          } catch (error) {
            // One change a replica failed to read: its clients fill the gap by sync (seq gap).
            this.#options.logger.warn(
              { err: error, tenant, type: envelope.type },
              'delivery of one event failed',
            );
          }
        }
      }
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
