/**
 * The gateway's audit trail: every mutating request and every refused one becomes an audit
 * record, delivered by compliance-client's AuditRecorder (batched, never waited on), and written
 * to the AuditJournal first, so a record whose request was acknowledged survives a crash.
 *
 * Every `checkpointMs` the journal rotates and the recorder is flushed; once everything recorded
 * before the rotation is delivered (or in the recorder's own spill file), the closed segments are
 * deleted. At start the segments a previous process left are recorded again (same record ids, so
 * the compliance service appends each once).
 */
import { randomUUID } from 'node:crypto';
import type { AuditRecordDraft, AuditRecorder } from '@parley/compliance-client';
import type { Logger } from '@parley/kit';
import type { AuditJournal } from './audit-journal.ts';

export class RequestAudit {
  readonly name = 'request-audit';
  readonly #recorder: AuditRecorder;
  readonly #journal: AuditJournal;
  readonly #logger: Logger;
  readonly #checkpointMs: number;
  #timer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<void> | undefined;
  readonly stats = { recorded: 0, replayed: 0, journalFailures: 0 };

  constructor(options: {
    recorder: AuditRecorder;
    journal: AuditJournal;
    logger: Logger;
    checkpointMs?: number;
  }) {
    this.#recorder = options.recorder;
    this.#journal = options.journal;
    this.#logger = options.logger;
    this.#checkpointMs = options.checkpointMs ?? 5_000;
  }

  async start(): Promise<void> {
    const leftover = await this.#journal.open();
    await this.#recorder.start();
    for (const entry of leftover) {
      try {
        this.#recorder.record(entry.tenant, entry.record as unknown as AuditRecordDraft);
        this.stats.replayed += 1;
      } catch (error) {
        this.#logger.error({ err: error }, 'audit: a journalled record is invalid; dropped');
      }
    }
    if (leftover.length > 0)
      this.#logger.info({ records: leftover.length }, 'audit: journalled records recorded again');
    this.#timer = setInterval(() => void this.checkpoint(), this.#checkpointMs);
    this.#timer.unref();
  }

  /**
   * Records one request's audit record; resolves when it is safe on disk (await it before the
   * answer leaves). Never rejects: a journal that cannot be written is logged and counted, the
   * record still goes to the recorder.
   */
  async record(tenant: string, draft: AuditRecordDraft): Promise<void> {
    const record = {
      ...draft,
      id: draft.id ?? randomUUID(),
      occurredAt: draft.occurredAt ?? new Date().toISOString(),
    };
    this.#recorder.record(tenant, record);
    this.stats.recorded += 1;
    try {
      await this.#journal.append({ tenant, record });
    } catch (error) {
      this.stats.journalFailures += 1;
      this.#logger.error({ err: error, path: this.#journal.dir }, 'audit: cannot write the journal');
    }
  }

  /** Rotates the journal and deletes the segments whose records are all delivered. */
  async checkpoint(): Promise<void> {
    if (this.#checkpointing) return this.#checkpointing;
    this.#checkpointing = (async () => {
      const closed = await this.#journal.rotate();
      try {
        await this.#recorder.flush();
        await this.#journal.discard(closed);
      } catch {
        // Not delivered yet (compliance down): the segments stay until a later checkpoint.
      }
    })().finally(() => {
      this.#checkpointing = undefined;
    });
    return this.#checkpointing;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#checkpointing;
    await this.checkpoint();
    // Whatever the recorder could not deliver it spills; the journal keeps its copy too.
    await this.#recorder.stop();
    await this.#journal.close();
  }
}
