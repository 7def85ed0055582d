/**
 * Crypto-shredding, AWS KMS's way: a key is scheduled for destruction after a waiting period of
 * 7..30 days (cancellable, and the key unusable meanwhile, so whatever still depends on it shows
 * up while it can be saved), then a periodic sweep deletes its KEK (which makes every copy of its
 * wrapped versions, backups included, unreadable) and then its material. Legal holds refuse the
 * schedule and defer the sweep. Every step is a lifecycle record whose unique sequence number
 * arbitrates racing writers, written with its event (outbox) in one insert.
 */
import {
  CryptoKeyDestroyed,
  CryptoKeyDestructionCancelled,
  CryptoKeyDestructionScheduled,
  type createEvent,
  type EventEnvelope,
} from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import { assertTenantId } from '@parley/tenancy';
import type { DestructionHoldCheck } from './destruction-holds.ts';
import { InvalidKeyRequestError, KeyStateConflictError, KeyUnderLegalHoldError } from './errors.ts';
import { type KeyMetadata, toMetadata } from './key-metadata.ts';
import { assertKeyName } from './key-names.ts';
import type { KeyRecords } from './key-records.ts';
import { assertNotDestroyed, type KeySnapshot } from './key-snapshot.ts';
import { type LifecycleRecord, lifecycleRecordId } from './key-store.ts';

export const MIN_WAITING_DAYS = 7;
export const MAX_WAITING_DAYS = 30;
const DAY_MS = 86_400_000;
const MAX_CONTENTION_RETRIES = 8;

type LifecycleDecision =
  | { done: KeySnapshot }
  | { action: LifecycleRecord['action']; fields: Partial<LifecycleRecord>; event: EventEnvelope };

export interface KeyDestructionDeps {
  records: KeyRecords;
  logger: Logger;
  holds: DestructionHoldCheck | undefined;
  /** Drops the key from the keyring's cache. */
  forget: (tenant: string, keyName: string) => void;
  /** Deletes the key's key-encryption key (its KEK store entry). */
  destroyKek: (tenant: string, keyName: string) => Promise<void>;
  event: <P>(tenant: string, definition: Parameters<typeof createEvent>[0], payload: P) => EventEnvelope;
}

export class KeyDestruction {
  readonly #d: KeyDestructionDeps;

  constructor(deps: KeyDestructionDeps) {
    this.#d = deps;
  }

  /**
   * Schedules the key's destruction after a waiting period of 7..30 days (AWS KMS's window).
   * Meanwhile the key can be neither used nor read, so anything still depending on it shows up
   * while the destruction can still be cancelled. Idempotent while pending (keeps the first date).
   */
  async schedule(
    tenant: string,
    keyName: string,
    options: { waitingDays: number; now?: Date },
  ): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const { waitingDays } = options;
    if (!Number.isInteger(waitingDays) || waitingDays < MIN_WAITING_DAYS || waitingDays > MAX_WAITING_DAYS) {
      throw new InvalidKeyRequestError(
        `The waiting period is a whole number of days from ${MIN_WAITING_DAYS} to ${MAX_WAITING_DAYS}`,
      );
    }
    // Asked before the schedule is written. A hold placed just after this check is caught by the
    // same check in destroyDueKeys, at the moment of destruction.
    const holds = (await this.#d.holds?.(tenant, keyName)) ?? [];
    if (holds.length > 0) {
      this.#d.logger.info(
        { tenant, keyName, holdIds: holds.map((h) => h.id) },
        'keyring: key destruction refused, key under legal hold',
      );
      throw new KeyUnderLegalHoldError(tenant, keyName, holds);
    }
    const now = options.now ?? new Date();
    const destroyAt = new Date(now.getTime() + waitingDays * DAY_MS);
    const snapshot = await this.#transition(tenant, keyName, now, (current) => {
      assertNotDestroyed(current);
      if (current.state === 'pending-destruction') return { done: current };
      return {
        action: 'schedule',
        fields: { destroyAt, waitingDays },
        event: this.#d.event(tenant, CryptoKeyDestructionScheduled, {
          keyName,
          destroyAt: destroyAt.toISOString(),
          waitingDays,
        }),
      };
    });
    this.#d.logger.info(
      { tenant, keyName, destroyAt: snapshot.lifecycle?.destroyAt },
      'keyring: key destruction scheduled',
    );
    return toMetadata(snapshot);
  }

  async cancel(tenant: string, keyName: string): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const snapshot = await this.#transition(tenant, keyName, new Date(), (current) => {
      assertNotDestroyed(current);
      if (current.state !== 'pending-destruction') {
        throw new KeyStateConflictError(
          `Key ${keyName} of tenant ${tenant} is not scheduled for destruction`,
        );
      }
      return {
        action: 'cancel',
        fields: {},
        event: this.#d.event(tenant, CryptoKeyDestructionCancelled, { keyName }),
      };
    });
    this.#d.logger.info({ tenant, keyName }, 'keyring: key destruction cancelled');
    return toMetadata(snapshot);
  }

  /**
   * Destroys every key whose waiting period has ended: its KEK is deleted (so no copy of its
   * versions unwraps again, a backup's included) and then its version records (the wrapped
   * material), so nothing under it can ever be decrypted again. Run it periodically
   * (the crypto service does); safe to run from several processes at once. Also deletes any
   * material a racing writer added to an already destroyed key. A key a legal hold covers now
   * (holds can be placed during the waiting period) stays pending, and is destroyed by the first
   * sweep after the hold is lifted, unless the destruction is cancelled meanwhile.
   */
  async destroyDue(now: Date = new Date()): Promise<KeyMetadata[]> {
    const due = (await this.#d.records.collection
      .find({ record: 'lifecycle', action: 'schedule', destroyAt: { $lte: now } } as never)
      .toArray()) as LifecycleRecord[];
    const destroyed: KeyMetadata[] = [];
    for (const schedule of due) {
      const { tenant, keyName } = schedule;
      const current = await this.#d.records.readSnapshot(tenant, keyName);
      if (current?.state !== 'pending-destruction' || current.lifecycle?.seq !== schedule.seq) continue;
      if (await this.#heldAtDestruction(tenant, keyName)) continue;
      const record: LifecycleRecord = {
        _id: lifecycleRecordId(tenant, keyName, schedule.seq + 1),
        record: 'lifecycle',
        tenant,
        keyName,
        slot: `lifecycle:${schedule.seq + 1}`,
        seq: schedule.seq + 1,
        action: 'destroy',
        versions: current.summaries,
        createdAt: now,
      };
      const event = this.#d.event(tenant, CryptoKeyDestroyed, { keyName, destroyedAt: now.toISOString() });
      if (await this.#d.records.insert(withOutbox(record, [event]))) {
        await this.#deleteMaterial(tenant, keyName);
        this.#d.logger.info({ tenant, keyName }, 'keyring: key destroyed');
        destroyed.push(toMetadata(await this.#d.records.loadFresh(tenant, keyName)));
      }
    }
    // Material that a racing writer inserted just after a destruction (or a crash left between the
    // destroy record and the delete) goes too. Writers act on what they read within a cache TTL, so
    // looking back a day covers every race without revisiting every erased person on each sweep.
    const recently = new Date(now.getTime() - DAY_MS);
    const tombstones = (await this.#d.records.collection
      .find({ record: 'lifecycle', action: 'destroy', createdAt: { $gte: recently } } as never, {
        projection: { tenant: 1, keyName: 1 },
      })
      .toArray()) as Pick<LifecycleRecord, 'tenant' | 'keyName'>[];
    for (const { tenant, keyName } of tombstones) await this.#deleteMaterial(tenant, keyName);
    return destroyed;
  }

  /** True when a legal hold covers the key now, or the holds cannot be read (destruction is final). */
  async #heldAtDestruction(tenant: string, keyName: string): Promise<boolean> {
    if (!this.#d.holds) return false;
    try {
      const holds = await this.#d.holds(tenant, keyName);
      if (holds.length === 0) return false;
      this.#d.logger.info(
        { tenant, keyName, holdIds: holds.map((h) => h.id) },
        'keyring: key destruction deferred, key under legal hold; it stays pending',
      );
    } catch (error) {
      this.#d.logger.warn(
        { tenant, keyName, err: error },
        'keyring: legal holds unreadable; key destruction deferred to the next sweep',
      );
    }
    return true;
  }

  /** The KEK first: once it is gone the material is unreadable wherever a copy of it survives. */
  async #deleteMaterial(tenant: string, keyName: string): Promise<void> {
    await this.#d.destroyKek(tenant, keyName);
    await this.#d.records.deleteMaterial(tenant, keyName);
    this.#d.forget(tenant, keyName);
  }

  /** Appends the next lifecycle record; racing transitions are arbitrated by its unique seq. */
  async #transition(
    tenant: string,
    keyName: string,
    now: Date,
    decide: (current: KeySnapshot) => LifecycleDecision,
  ): Promise<KeySnapshot> {
    for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES; attempt++) {
      const current = await this.#d.records.loadFresh(tenant, keyName);
      const decision = decide(current);
      if ('done' in decision) return decision.done;
      const seq = (current.lifecycle?.seq ?? 0) + 1;
      const record: LifecycleRecord = {
        _id: lifecycleRecordId(tenant, keyName, seq),
        record: 'lifecycle',
        tenant,
        keyName,
        slot: `lifecycle:${seq}`,
        seq,
        action: decision.action,
        ...decision.fields,
        createdAt: now,
      };
      if (await this.#d.records.insert(withOutbox(record, [decision.event]))) {
        this.#d.forget(tenant, keyName);
        return this.#d.records.loadFresh(tenant, keyName);
      }
    }
    throw new KeyStateConflictError(`Key ${keyName} of tenant ${tenant} is changing too fast; retry`);
  }
}
