/**
 * The audit recorder every service uses to submit audit records. record() validates and returns
 * at once: it never waits on the network. Records are delivered in batches (up to maxBatch per
 * tenant, at least every flushIntervalMs) over HTTP; when the compliance service is unreachable
 * they go to the tenant's Kafka audit topic instead (if a producer was given); when both are
 * down they stay buffered and delivery is retried with backoff. The in-memory buffer is bounded:
 * beyond it, and at shutdown if delivery still fails, records are spilled to a local file and
 * delivered from there later, so no record is lost. The record id (a UUID the recorder assigns)
 * makes every retry and every path idempotent on the server.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditRecordInput,
  AuditRecordInputSchema,
  AuditRecordSubmitted,
  createEvent,
} from '@parley/contracts';
import type { Logger, Stoppable } from '@parley/kit';
import { ServiceHttp, ServiceUnavailableError } from '@parley/service-http';
import { assertTenantId, kafkaTopic } from '@parley/tenancy';
import type { Producer } from 'kafkajs';
import { Compile } from 'typebox/compile';
import {
  COMPLIANCE_SERVICE,
  type ComplianceHttpOptions,
  ComplianceServiceError,
  toComplianceHttp,
} from './compliance-http.ts';
import { type SubjectKeyEncryptor, sealPersonalFields } from './seal-personal-fields.ts';
import { SpillFile } from './spill-file.ts';

export type AuditRecordDraft = Omit<AuditRecordInput, 'id' | 'occurredAt'> &
  Partial<Pick<AuditRecordInput, 'id' | 'occurredAt'>>;

export interface AuditRecorderOptions {
  /** The compliance service (or its ServiceHttp, to share). */
  http: ServiceHttp | ComplianceHttpOptions;
  /** The submitting service, recorded as each record's source. */
  source: string;
  logger: Logger;
  /** Fallback path while the compliance service is down: the tenant's audit topic. */
  kafkaProducer?: Producer;
  /**
   * The service's keyring: personal fields are sealed under each subject's key before a record
   * goes to Kafka or to the spill file, so crypto-shredding erases those copies as well.
   */
  sealer?: SubjectKeyEncryptor;
  maxBatch?: number;
  flushIntervalMs?: number;
  /** Records held in memory; beyond this they are spilled to `spillPath`. */
  maxBuffered?: number;
  spillPath?: string;
  /** Longest wait between delivery attempts while everything is down. */
  maxRetryDelayMs?: number;
  /** How long stop() keeps trying to deliver before spilling what is left. */
  stopTimeoutMs?: number;
}

export class InvalidAuditRecordError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid audit record: ${problems.join('; ')}`);
    this.name = 'InvalidAuditRecordError';
    this.problems = problems;
  }
}

interface Pending {
  tenant: string;
  record: AuditRecordInput;
}

const validator = Compile(AuditRecordInputSchema);

export class AuditRecorder implements Stoppable {
  readonly name = 'audit-recorder';
  readonly stats = {
    recorded: 0,
    deliveredHttp: 0,
    deliveredKafka: 0,
    spilled: 0,
    rejected: 0,
    failedPasses: 0,
  };
  readonly #o: Required<Omit<AuditRecorderOptions, 'kafkaProducer' | 'http' | 'sealer'>> &
    Pick<AuditRecorderOptions, 'kafkaProducer' | 'sealer'>;
  readonly #http: ServiceHttp;
  readonly #spill: SpillFile;
  #buffer: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #delivering: Promise<void> | undefined;
  #retryAt = 0;
  #retryDelay = 0;
  #stopped = false;

  constructor(options: AuditRecorderOptions) {
    this.#http = toComplianceHttp(
      options.http instanceof ServiceHttp ? options.http : { attempts: 2, ...options.http },
    );
    this.#o = {
      maxBatch: 100,
      flushIntervalMs: 1_000,
      maxBuffered: 10_000,
      spillPath: join(tmpdir(), `parley-audit-${options.source}.ndjson`),
      maxRetryDelayMs: 30_000,
      stopTimeoutMs: 5_000,
      ...options,
    };
    this.#spill = new SpillFile(this.#o.spillPath);
  }

  /** Records waiting in memory (spilled ones are in `spilled`). */
  get buffered(): number {
    return this.#buffer.length;
  }

  get spilled(): number {
    return this.#spill.count;
  }

  /** Picks up records an earlier process spilled, and starts the delivery timer. */
  async start(): Promise<void> {
    await this.#unspill();
    this.#timer = setInterval(() => this.#kick(), this.#o.flushIntervalMs);
    this.#timer.unref();
  }

  /**
   * Queues one record and returns its id at once. Throws only for a record that could never be
   * accepted (a programming error), never for the network.
   */
  record(tenant: string, draft: AuditRecordDraft): string {
    assertTenantId(tenant);
    const record = {
      ...draft,
      id: draft.id ?? randomUUID(),
      occurredAt: draft.occurredAt ?? new Date().toISOString(),
    } as AuditRecordInput;
    if (!validator.Check(record)) {
      throw new InvalidAuditRecordError(
        [...validator.Errors(record)].map((e) => `${e.instancePath || '/'} ${e.message}`),
      );
    }
    this.stats.recorded += 1;
    if (this.#buffer.length >= this.#o.maxBuffered) {
      this.stats.spilled += 1;
      this.#spillSealed([{ tenant, record }]).catch((error) => {
        this.#o.logger.error({ err: error, path: this.#spill.path }, 'audit: cannot spill a record to disk');
      });
      return record.id;
    }
    this.#buffer.push({ tenant, record });
    if (this.#buffer.length >= this.#o.maxBatch) this.#kick();
    return record.id;
  }

  /** Delivers everything buffered now; resolves when the buffer is empty, rejects if a path is still down. */
  async flush(): Promise<void> {
    this.#retryAt = 0;
    await this.#delivering;
    this.#delivering = this.#deliverAll();
    try {
      await this.#delivering;
    } finally {
      this.#delivering = undefined;
    }
    if (this.#buffer.length > 0)
      throw new ServiceUnavailableError({
        service: COMPLIANCE_SERVICE,
        reason: 'unreachable',
        detail: `${this.#buffer.length} audit records could not be delivered yet`,
      });
  }

  /** Stops the timer, keeps delivering until stopTimeoutMs, then spills whatever is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const deadline = Date.now() + this.#o.stopTimeoutMs;
    while (this.#buffer.length > 0 && Date.now() < deadline) {
      try {
        await this.flush();
      } catch {
        await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
      }
    }
    if (this.#buffer.length > 0) {
      this.#o.logger.warn(
        { records: this.#buffer.length, path: this.#spill.path },
        'audit: undelivered records spilled to disk',
      );
      this.stats.spilled += this.#buffer.length;
      await this.#spillSealed(this.#buffer.splice(0));
    }
  }

  #kick(): void {
    if (this.#delivering || this.#stopped || Date.now() < this.#retryAt) return;
    this.#delivering = this.#deliverAll().finally(() => {
      this.#delivering = undefined;
    });
  }

  async #deliverAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#nextBatch();
      const delivered = await this.#deliver(batch);
      if (!delivered) {
        this.stats.failedPasses += 1;
        this.#retryDelay = Math.min(this.#o.maxRetryDelayMs, Math.max(500, this.#retryDelay * 2));
        this.#retryAt = Date.now() + this.#retryDelay;
        return;
      }
      this.#remove(batch);
    }
    this.#retryDelay = 0;
    await this.#unspill();
  }

  /** Up to maxBatch records of the first waiting tenant, in the order they were recorded. */
  #nextBatch(): Pending[] {
    const tenant = this.#buffer[0]?.tenant;
    const batch: Pending[] = [];
    for (const item of this.#buffer) {
      if (item.tenant === tenant) batch.push(item);
      if (batch.length >= this.#o.maxBatch) break;
    }
    return batch;
  }

  #remove(batch: Pending[]): void {
    const sent = new Set(batch);
    this.#buffer = this.#buffer.filter((item) => !sent.has(item));
  }

  /** True when the batch is safely with the service or on Kafka (or refused for good). */
  async #deliver(batch: Pending[]): Promise<boolean> {
    const tenant = (batch[0] as Pending).tenant;
    const records = batch.map((p) => p.record);
    try {
      // Safe to repeat: the log appends idempotently per record id.
      await this.#http.request(
        'POST',
        `/v1/tenants/${tenant}/audit/records`,
        { source: this.#o.source, records },
        { idempotent: true },
      );
      this.stats.deliveredHttp += records.length;
      return true;
    } catch (error) {
      if (error instanceof ComplianceServiceError && error.status === 400) {
        // Refused as invalid: retrying can never succeed. Validation in record() makes this rare.
        this.stats.rejected += records.length;
        this.#o.logger.error(
          { tenant, ids: records.map((r) => r.id), problem: error.problem },
          'audit: records refused as invalid',
        );
        return true;
      }
      this.#o.logger.warn(
        { tenant, reason: (error as Error).message },
        'audit: compliance service unreachable',
      );
    }
    const producer = this.#o.kafkaProducer;
    if (!producer) return false;
    try {
      const sealer = this.#o.sealer;
      const outgoing = sealer
        ? await Promise.all(records.map((r) => sealPersonalFields(sealer, tenant, r)))
        : records;
      await producer.send({
        topic: kafkaTopic(tenant, 'audit'),
        acks: -1,
        messages: outgoing.map((record) => ({
          key: record.id,
          value: JSON.stringify(
            createEvent(AuditRecordSubmitted, { tenant, source: this.#o.source, payload: record }),
          ),
        })),
      });
      this.stats.deliveredKafka += records.length;
      return true;
    } catch (error) {
      this.#o.logger.warn(
        { tenant, reason: (error as Error).message },
        'audit: Kafka unreachable too; records kept',
      );
      return false;
    }
  }

  /** Spills records, their personal fields sealed first when a sealer is configured. */
  async #spillSealed(entries: Pending[]): Promise<void> {
    const sealer = this.#o.sealer;
    if (!sealer) return this.#spill.write(entries);
    const sealed: Pending[] = [];
    for (const entry of entries) {
      try {
        sealed.push({
          tenant: entry.tenant,
          record: await sealPersonalFields(sealer, entry.tenant, entry.record),
        });
      } catch (error) {
        // Losing the record would be worse than keeping its fields in the clear on local disk.
        this.#o.logger.warn({ reason: (error as Error).message }, 'audit: spilling a record unsealed');
        sealed.push(entry);
      }
    }
    return this.#spill.write(sealed);
  }

  async #unspill(): Promise<void> {
    let spilled: { tenant: string; record: unknown }[];
    try {
      spilled = await this.#spill.take();
    } catch (error) {
      this.#o.logger.error({ err: error, path: this.#spill.path }, 'audit: cannot read spilled records');
      return;
    }
    if (spilled.length === 0) return;
    const room = Math.max(0, this.#o.maxBuffered - this.#buffer.length);
    const back = spilled.slice(0, room) as Pending[];
    this.#buffer.push(...back);
    if (spilled.length > room) await this.#spill.write(spilled.slice(room));
    this.#o.logger.info({ records: back.length }, 'audit: spilled records queued for delivery');
  }
}
