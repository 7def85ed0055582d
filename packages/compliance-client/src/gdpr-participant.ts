/**
 * Taking part in GDPR exports and erasures, for a service that holds personal data: register
 * with the compliance service, consume the requests on every tenant's gdpr topic (consumer
 * group `<name>.gdpr`), run the service's own handlers, and report. Export data goes over HTTP
 * (never on the topic); the report carries its digest. An erasure of a person under a legal hold
 * is reported `blocked` with the hold ids and nothing is deleted. A failing handler is reported
 * `failed` with its message, so the job shows which participant broke and why.
 *
 * Handlers must be idempotent: a request is delivered at least once.
 *
 * A request is acted on only when the compliance service has its job, in the tenant's database,
 * for the same kind and person, naming this participant, and still in progress: whoever can write
 * to a gdpr topic (a tenant's own Kafka credential, a forged outbox) could otherwise erase anyone.
 * A request without such a job is refused: counted
 * (`parley_events_refused_total{reason="no-such-job"}`), logged without the person, not reported.
 */
import {
  createEvent,
  decodeEnvelope,
  GdprErasureRequested,
  GdprExportRequested,
  type GdprParticipantReport,
  GdprParticipantReported,
  InvalidEventError,
  parseEvent,
} from '@parley/contracts';
import { eventRefusals, type Logger, loggable, type Stoppable, TopicPatternConsumer } from '@parley/kit';
import { kafkaTopic } from '@parley/tenancy';
import type { Kafka, Producer } from 'kafkajs';
import type { GdprClient, GdprJobView } from './gdpr-client.ts';

export interface GdprParticipantHandlers {
  /** Everything the service holds about the person, as JSON. */
  exportData?: (tenant: string, userId: string) => Promise<unknown>;
  /** Deletes or anonymises the person's data; returns counts per store or category. */
  erase?: (tenant: string, userId: string) => Promise<{ counts: Record<string, number>; detail?: string }>;
}

export interface GdprParticipantOptions {
  /** e.g. "auth"; must match ^[a-z][a-z0-9-]{1,40}$. */
  name: string;
  description: string;
  kafka: Kafka;
  producer: Producer;
  client: GdprClient;
  handlers: GdprParticipantHandlers;
  logger: Logger;
  /** Ids of the legal holds covering the person (e.g. from @parley/retention's LegalHoldStore). */
  holdsOn?: (tenant: string, userId: string) => Promise<string[]>;
  // `| undefined`: a participant passes its wiring on as it came, set or not.
  refreshMs?: number | undefined;
  groupId?: string | undefined;
  /** Narrows the topics (tests consume only their own tenant's). */
  pattern?: RegExp | undefined;
}

const GDPR_TOPIC = /^parley\.([a-z0-9-]+)\.gdpr$/;

export class GdprParticipant implements Stoppable {
  readonly name: string;
  readonly #o: GdprParticipantOptions;
  readonly #consumer: TopicPatternConsumer;
  readonly #groupId: string;

  constructor(options: GdprParticipantOptions) {
    this.#o = options;
    this.name = `gdpr participant ${options.name}`;
    this.#groupId = options.groupId ?? `${options.name}.gdpr`;
    this.#consumer = new TopicPatternConsumer({
      kafka: options.kafka,
      logger: options.logger,
      groupId: this.#groupId,
      pattern: options.pattern ?? GDPR_TOPIC,
      refreshMs: options.refreshMs ?? 30_000,
      maxWaitMs: 500,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const tenant = GDPR_TOPIC.exec(batch.topic)?.[1];
        if (!tenant) return;
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break;
          await this.#handle(tenant, message.value);
          resolveOffset(message.offset);
          await heartbeat();
        }
      },
    });
  }

  /** Registers for the kinds it has handlers for, then starts consuming. */
  async start(): Promise<void> {
    const handles = [
      ...(this.#o.handlers.exportData ? (['export'] as const) : []),
      ...(this.#o.handlers.erase ? (['erasure'] as const) : []),
    ];
    await this.#o.client.registerParticipant(this.#o.name, { handles, description: this.#o.description });
    await this.#consumer.start();
  }

  /** Rejoins with new tenants' topics now (tests; otherwise every refreshMs). */
  refresh(): Promise<void> {
    return this.#consumer.refresh();
  }

  async stop(): Promise<void> {
    await this.#consumer.stop();
  }

  async #handle(tenant: string, value: Buffer | null): Promise<void> {
    let kind: 'export' | 'erasure';
    let request: { jobId: string; userId: string; participants: string[] };
    try {
      const envelope = decodeEnvelope(value);
      if (envelope.type === GdprExportRequested.type) {
        kind = 'export';
        request = parseEvent(GdprExportRequested, envelope).payload;
      } else if (envelope.type === GdprErasureRequested.type) {
        kind = 'erasure';
        request = parseEvent(GdprErasureRequested, envelope).payload;
      } else {
        return;
      }
      if (envelope.tenant !== tenant) return;
    } catch (error) {
      if (error instanceof InvalidEventError) return;
      throw error;
    }
    if (!request.participants.includes(this.#o.name)) return;
    const backing = this.#backing(await this.#o.client.job(tenant, request.jobId), kind, request.userId);
    // Settled already (a redelivery after the job finished): nothing left to do, and no attack.
    if (backing === 'settled') return;
    if (backing === 'none') {
      eventRefusals.count(this.#groupId, 'no-such-job');
      this.#o.logger.error(
        { tenant, kind, jobId: loggable(request.jobId) },
        'gdpr: request refused: the compliance service has no such job for this person and participant',
      );
      return;
    }
    const report = await this.#perform(tenant, kind, request.jobId, request.userId);
    await this.#o.producer.send({
      topic: kafkaTopic(tenant, 'gdpr'),
      acks: -1,
      messages: [
        {
          key: request.jobId,
          value: JSON.stringify(
            createEvent(GdprParticipantReported, { tenant, source: this.#o.name, payload: report }),
          ),
        },
      ],
    });
  }

  /** Whether the compliance service has this request's job: the same kind, person and participant. */
  #backing(
    job: GdprJobView | undefined,
    kind: 'export' | 'erasure',
    userId: string,
  ): 'open' | 'settled' | 'none' {
    if (!job || job.kind !== kind || job.userId !== userId) return 'none';
    const participants = job.participants;
    if (typeof participants !== 'object' || participants === null || !(this.#o.name in participants))
      return 'none';
    return job.status === 'in-progress' ? 'open' : 'settled';
  }

  async #perform(
    tenant: string,
    kind: 'export' | 'erasure',
    jobId: string,
    userId: string,
  ): Promise<GdprParticipantReport> {
    const base = { jobId, kind, participant: this.#o.name };
    try {
      if (kind === 'export') {
        const exportData = this.#o.handlers.exportData;
        if (!exportData)
          return { ...base, status: 'failed', detail: `${this.#o.name} does not handle exports` };
        const part = await this.#o.client.uploadExportPart(
          tenant,
          jobId,
          this.#o.name,
          await exportData(tenant, userId),
        );
        return { ...base, status: 'done', exportPart: part };
      }
      const erase = this.#o.handlers.erase;
      if (!erase) return { ...base, status: 'failed', detail: `${this.#o.name} does not handle erasures` };
      const holdIds = (await this.#o.holdsOn?.(tenant, userId)) ?? [];
      if (holdIds.length > 0)
        return { ...base, status: 'blocked', holdIds, detail: 'under legal hold: nothing erased' };
      const result = await erase(tenant, userId);
      return {
        ...base,
        status: 'done',
        counts: result.counts,
        ...(result.detail ? { detail: result.detail } : {}),
      };
    } catch (error) {
      this.#o.logger.error({ tenant, jobId, kind, err: error }, 'gdpr: participant handler failed');
      return { ...base, status: 'failed', detail: (error as Error).message.slice(0, 500) };
    }
  }
}
