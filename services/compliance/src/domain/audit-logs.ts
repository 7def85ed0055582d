/**
 * The service's handle on every tenant's audit log: opened lazily (indexes ensured once),
 * appended to by HTTP and Kafka ingestion alike, and checkpointed by policy after appends and on
 * a timer, so a quiet log still gets its last records signed within CHECKPOINT_EVERY_MS.
 */
import type { KeyObject } from 'node:crypto';
import {
  type AppendOutcome,
  AuditIntegrityError,
  AuditLog,
  type CheckpointPolicy,
  type CheckpointPublisher,
  type PersonalDataSealer,
  type SignedCheckpoint,
  type SigningKey,
} from '@parley/audit-chain';
import type { AuditRecordInput } from '@parley/contracts';
import type { Logger, Stoppable } from '@parley/kit';
import { assertTenantId } from '@parley/tenancy';
import type { MongoClient } from 'mongodb';
import { type SigningKeysDocument, signingKeysDocument } from './audit-signing-keys.ts';
import type { ComplianceMetrics, IngestPath } from './compliance-metrics.ts';

export interface AuditLogsOptions {
  client: MongoClient;
  signingKey: SigningKey;
  sealer: PersonalDataSealer;
  checkpointPolicy: CheckpointPolicy;
  logger: Logger;
  /** Public keys of earlier signing keys, still trusted for old checkpoints. */
  previousKeys?: { keyId: string; publicKey: KeyObject }[];
  /** Where every checkpoint is published before it counts (the tenant's bucket). */
  publisher?: CheckpointPublisher;
  /** At most one forced (requested) signature per tenant per this interval, per replica. */
  forcedCheckpointIntervalMs?: number;
}

export class AuditLogs implements Stoppable {
  readonly name = 'audit-checkpointer';
  readonly signingKey: SigningKey;
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly #options: AuditLogsOptions;
  readonly #logs = new Map<string, Promise<AuditLog>>();
  #timer: NodeJS.Timeout | undefined;
  /** Set by buildApp: where appends and refusals are counted. */
  metrics: ComplianceMetrics | undefined;

  constructor(options: AuditLogsOptions) {
    this.#options = options;
    this.signingKey = options.signingKey;
    this.publicKeys = new Map([
      ...(options.previousKeys ?? []).map((k) => [k.keyId, k.publicKey] as const),
      [options.signingKey.keyId, options.signingKey.publicKey],
    ]);
  }

  get(tenant: string): Promise<AuditLog> {
    assertTenantId(tenant);
    let log = this.#logs.get(tenant);
    if (!log) {
      log = AuditLog.open({
        client: this.#options.client,
        tenant,
        signingKey: this.#options.signingKey,
        trustedKeys: this.publicKeys,
        sealer: this.#options.sealer,
        ...(this.#options.publisher ? { publisher: this.#options.publisher } : {}),
        ...(this.#options.forcedCheckpointIntervalMs !== undefined
          ? { forcedCheckpointIntervalMs: this.#options.forcedCheckpointIntervalMs }
          : {}),
      });
      log.catch(() => this.#logs.delete(tenant));
      this.#logs.set(tenant, log);
    }
    return log;
  }

  async append(
    tenant: string,
    inputs: readonly AuditRecordInput[],
    source: string,
    options: {
      onRejected?: (input: AuditRecordInput, reason: string) => Promise<void>;
      path?: IngestPath;
    } = {},
  ): Promise<AppendOutcome[]> {
    const log = await this.get(tenant);
    const outcomes = await log.append(inputs, source, options);
    const path = options.path ?? 'internal';
    this.metrics?.appended(path, outcomes.filter((o) => !o.duplicate && !o.rejected).length);
    const rejected = outcomes.filter((o) => o.rejected).length;
    if (rejected > 0) this.metrics?.rejected(path, rejected);
    await this.#checkpoint(log);
    return outcomes;
  }

  /** The public keys as published (HTTP without credential, each tenant's bucket). */
  get keysDocument(): SigningKeysDocument {
    return signingKeysDocument(this.signingKey.keyId, this.publicKeys);
  }

  /**
   * Signs a checkpoint of everything appended so far, when asked (rate-limited per tenant):
   * `signed` is false when the latest one already covers the log or one was signed too recently.
   */
  async signNow(tenant: string): Promise<{ checkpoint: SignedCheckpoint | undefined; signed: boolean }> {
    const log = await this.get(tenant);
    const before = await log.latestCheckpoint();
    try {
      const checkpoint = await log.checkpoint({ force: true });
      return { checkpoint, signed: Boolean(checkpoint && checkpoint.treeSize > (before?.treeSize ?? 0)) };
    } catch (error) {
      if (error instanceof AuditIntegrityError) this.#refused(log, error);
      throw error;
    }
  }

  /** The checkpoints published outside the database (empty when nothing publishes them). */
  async published(
    tenant: string,
    options: { afterSize?: number; limit: number },
  ): Promise<SignedCheckpoint[]> {
    assertTenantId(tenant);
    return (await this.#options.publisher?.list(tenant, options)) ?? [];
  }

  /** Signs due checkpoints of every open log every `intervalMs`. */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      void this.tick();
    }, intervalMs);
    this.#timer.unref();
  }

  async tick(): Promise<void> {
    for (const opening of this.#logs.values()) {
      const log = await opening.catch(() => undefined);
      await this.#checkpoint(log);
      // Signed or not, how far the log runs ahead of what is signed: the checkpoint-overdue
      // alert's input, read on the timer only (never on the append path).
      if (log && this.metrics) {
        const latest = await log.latestCheckpoint().catch(() => undefined);
        this.metrics.checkpointState(log.tenant, log.treeSize, latest);
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.tick();
  }

  async #checkpoint(log: AuditLog | undefined): Promise<void> {
    if (!log) return;
    try {
      await log.checkpoint({ policy: this.#options.checkpointPolicy });
    } catch (error) {
      if (error instanceof AuditIntegrityError) this.#refused(log, error);
      // Not tampering: the bucket or the database did not answer; the next append or tick retries.
      else this.#options.logger.warn({ tenant: log.tenant, err: error }, 'audit: checkpoint not signed yet');
    }
  }

  /** A log that no longer extends what was signed (stored or published) is refused: loudly. */
  #refused(log: AuditLog, error: AuditIntegrityError): void {
    this.metrics?.checkpointRefused();
    this.#options.logger.error({ tenant: log.tenant, err: error }, 'audit: checkpoint refused');
  }
}
