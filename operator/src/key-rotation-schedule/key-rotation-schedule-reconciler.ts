/**
 * Reconciles a KeyRotationSchedule: reads the key from packages/keyring, rotates it when a slot
 * is due (or the force-rotate annotation has a new value), re-wraps stored ciphertexts when
 * `rewrapPolicy: Background` (the default), keeps only `versionsKept` versions able to decrypt and applies
 * spec.minDecryptionVersion (which only rises), then reports the key's state, the rewrap's
 * progress and when it rotates next, and asks to be looked at again then (requeue-after). The
 * rotation event (crypto.key.rotated.v1) is written by the keyring into its outbox in the same
 * write as the rotation and published by the operator's relay.
 *
 * Who re-wraps: the operator, here, through packages/keyring's StoredCiphertextRewrap (not the
 * crypto service, and not each data owner on the rotation event). The schedule is what asks for
 * Background and what must report progress; the operator already holds a keyring over the
 * platform database and a Mongo client reaching every tenant database, runs one reconcile per
 * schedule at a time and only on the leader (so one rewrap per key), and re-wrapping in process
 * keeps plaintext off the network. Level-based like the rest: each reconcile reads the key's
 * primary and the saved progress and advances one bounded slice (RUNNING_REQUEUE_MS apart), so
 * a rotation made elsewhere (the crypto API, the usage ceiling) is picked up at the next resync.
 *
 * With Background the minimum decryption version never rises above the version every stored
 * ciphertext is known to have reached (the rewrap's completedVersion): retiring a version that
 * still seals a TOTP secret would lock its user out for good.
 */
import type { Keyring, RewrapProgress, StoredCiphertextRewrap } from '@parley/keyring';
import type { ConditionInput } from '../api/conditions.ts';
import {
  FORCE_ROTATE_ANNOTATION,
  KEY_ROTATION_SCHEDULE_KIND,
  type KeyRotationSchedule,
  type KeyRotationScheduleStatus,
} from '../api/resources.ts';
import { writeStatus } from '../api/status-writer.ts';
import type { ObjectKey, ReconcileResult, Reconciler } from '../manager/controller.ts';
import type { EventRecorder } from '../manager/event-recorder.ts';
import { getObject, type Kube } from '../manager/kube-client.ts';
import { minimumAllowedByRewrap, rewrapCondition, rewrapRequeueMs, rewrapStatus } from './rewrap-report.ts';
import { planRotation, targetMinDecryptionVersion } from './rotation-plan.ts';

export type RotatingKeys = Pick<Keyring, 'listVersions' | 'rotate' | 'setMinDecryptionVersion'>;
export type BackgroundRewrap = Pick<StoredCiphertextRewrap, 'advance'>;
/** Told when a schedule's next rotation is due (the overdue alert's gauge); undefined once it is gone. */
export type ObserveDue = (schedule: ObjectKey, due: Date | undefined) => void;

/** How long one reconcile may spend re-wrapping before it yields to other schedules. */
const REWRAP_SLICE_MS = 2_000;
const REWRAP_ERROR_RETRY_MS = 30_000;

const KEY_MISSING_RETRY_MS = 10_000;
const MAX_REQUEUE_MS = 3600_000;

export class KeyRotationScheduleReconciler implements Reconciler {
  readonly kind = KEY_ROTATION_SCHEDULE_KIND;
  readonly #kube: Kube;
  readonly #keys: RotatingKeys;
  readonly #events: EventRecorder;
  readonly #now: () => Date;
  readonly #rewrap: BackgroundRewrap | undefined;
  readonly #observeDue: ObserveDue | undefined;

  constructor(
    kube: Kube,
    keys: RotatingKeys,
    events: EventRecorder,
    now: () => Date = () => new Date(),
    rewrap?: BackgroundRewrap,
    observeDue?: ObserveDue,
  ) {
    this.#kube = kube;
    this.#keys = keys;
    this.#events = events;
    this.#now = now;
    this.#rewrap = rewrap;
    this.#observeDue = observeDue;
  }

  async reconcile({ namespace, name }: ObjectKey): Promise<ReconcileResult> {
    const schedule = await getObject<KeyRotationSchedule>(
      this.#kube,
      KEY_ROTATION_SCHEDULE_KIND,
      namespace,
      name,
    );
    if (!schedule) {
      this.#observeDue?.({ namespace, name }, undefined);
      return {};
    }
    const { spec } = schedule;
    const tenant = spec.tenantRef.name;
    const keyName = spec.keyName ?? 'default';
    const now = this.#now();
    let key: Awaited<ReturnType<RotatingKeys['listVersions']>>;
    try {
      key = await this.#keys.listVersions(tenant, keyName);
    } catch (error) {
      if ((error as Error).name !== 'UnknownKeyError') throw error;
      await writeStatus(this.#kube, KEY_ROTATION_SCHEDULE_KIND, schedule, {}, [
        {
          type: 'Ready',
          status: 'False',
          reason: 'KeyNotFound',
          message: `tenant ${tenant} has no key "${keyName}" yet; it appears once the Tenant is provisioned`,
        },
      ]);
      return { requeueAfterMs: KEY_MISSING_RETRY_MS };
    }

    const status: Partial<KeyRotationScheduleStatus> = {};
    const conditions: ConditionInput[] = [];
    const forceValue = schedule.metadata.annotations?.[FORCE_ROTATE_ANNOTATION];
    const createdAt = (k: typeof key) =>
      k.versions.find((v) => v.version === k.primaryVersion)?.createdAt ?? k.createdAt;
    const plan = planRotation({
      ...(spec.period ? { period: spec.period } : {}),
      ...(spec.cron ? { cron: spec.cron } : {}),
      currentVersionCreatedAt: new Date(createdAt(key)),
      ...(forceValue ? { forceValue } : {}),
      ...(schedule.status?.lastForceRotate ? { lastForceValue: schedule.status.lastForceRotate } : {}),
      now,
    });
    if (plan.slot) {
      // The object's uid keeps a re-created schedule's slots apart from its predecessor's.
      const result = await this.#keys.rotate(tenant, keyName, {
        requestKey: `${schedule.metadata.uid}:${plan.slot}`,
      });
      key = result.metadata;
      status.lastSlot = plan.slot;
      if (plan.forced) status.lastForceRotate = forceValue;
      if (result.rotated) {
        await this.#events.record(
          schedule,
          'Normal',
          plan.forced ? 'ForceRotated' : 'Rotated',
          `key ${keyName} of ${tenant} rotated to version ${result.version} (${plan.slot})`,
        );
      }
    }
    conditions.push({
      type: 'Rotation',
      status: 'True',
      reason: plan.slot ? 'Rotated' : 'UpToDate',
      message: `version ${key.primaryVersion} is current`,
    });

    // The CRD defaults rewrapPolicy to Background; an object stored before that default read the same.
    const background = (spec.rewrapPolicy ?? 'Background') === 'Background';
    const rewrap = background ? await this.#advanceRewrap(tenant, keyName, key) : undefined;
    conditions.push(
      rewrap?.condition ?? {
        type: 'Rewrap',
        status: 'True',
        reason: 'NotRequested',
        message: 'rewrapPolicy is None',
      },
    );

    const desired = targetMinDecryptionVersion(
      key.primaryVersion,
      key.minDecryptionVersion,
      spec.versionsKept ?? 3,
      spec.minDecryptionVersion,
    );
    const target = background
      ? minimumAllowedByRewrap(desired, key.minDecryptionVersion, rewrap?.progress?.completedVersion)
      : desired;
    if (target > key.minDecryptionVersion) {
      key = await this.#keys.setMinDecryptionVersion(tenant, keyName, target);
      await this.#events.record(
        schedule,
        'Normal',
        'MinDecryptionVersionRaised',
        `versions below ${target} can no longer decrypt`,
      );
    }
    const specAhead =
      spec.minDecryptionVersion !== undefined && spec.minDecryptionVersion > key.primaryVersion;
    conditions.push(
      specAhead
        ? {
            type: 'MinDecryptionVersion',
            status: 'False',
            reason: 'AheadOfPrimary',
            message: `spec.minDecryptionVersion ${spec.minDecryptionVersion} is above the current version ${key.primaryVersion}; applied once the key reaches it`,
          }
        : desired > key.minDecryptionVersion
          ? {
              type: 'MinDecryptionVersion',
              status: 'False',
              reason: 'WaitingForRewrap',
              message: `versions below ${desired} are due to retire, but stored ciphertexts are only known to be at version ${key.minDecryptionVersion} or later; raised as the rewrap completes (versions ${key.minDecryptionVersion}..${key.primaryVersion} can decrypt)`,
            }
          : {
              type: 'MinDecryptionVersion',
              status: 'True',
              reason: 'Applied',
              message: `versions ${key.minDecryptionVersion}..${key.primaryVersion} can decrypt`,
            },
    );
    // Ready says the schedule works; a rewrap under way (and the minimum waiting for it) is progress, not a fault.
    const ready = conditions
      .filter((c) => c.type !== 'Rewrap' && c.reason !== 'WaitingForRewrap')
      .every((c) => c.status === 'True');
    conditions.unshift({
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: ready ? 'Scheduled' : 'AheadOfPrimary',
      message: ready
        ? `rotating ${spec.period ? `every ${spec.period}` : `on "${spec.cron}"`}`
        : 'see MinDecryptionVersion',
    });

    const after = planRotation({
      ...(spec.period ? { period: spec.period } : {}),
      ...(spec.cron ? { cron: spec.cron } : {}),
      currentVersionCreatedAt: new Date(createdAt(key)),
      now,
    });
    const nextRotation = after.nextRotation ?? plan.nextRotation;
    this.#observeDue?.({ namespace, name }, nextRotation);
    await writeStatus(
      this.#kube,
      KEY_ROTATION_SCHEDULE_KIND,
      schedule,
      {
        ...status,
        currentVersion: key.primaryVersion,
        minDecryptionVersion: key.minDecryptionVersion,
        lastRotation: new Date(createdAt(key)).toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(nextRotation ? { nextRotation: nextRotation.toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
        rewrap: rewrap?.progress ? rewrapStatus(rewrap.progress) : { state: 'Idle' },
      },
      conditions,
    );
    const waits = [
      ...(nextRotation ? [Math.max(1000, nextRotation.getTime() - this.#now().getTime())] : []),
      ...(rewrap?.requeueAfterMs !== undefined ? [rewrap.requeueAfterMs] : []),
    ];
    if (waits.length === 0) return {};
    return { requeueAfterMs: Math.min(MAX_REQUEUE_MS, ...waits) };
  }

  /** One slice of the background rewrap, and what to report about it. */
  async #advanceRewrap(
    tenant: string,
    keyName: string,
    key: Awaited<ReturnType<RotatingKeys['listVersions']>>,
  ): Promise<{ condition: ConditionInput; progress?: RewrapProgress; requeueAfterMs?: number }> {
    if (!this.#rewrap) {
      return {
        condition: {
          type: 'Rewrap',
          status: 'Unknown',
          reason: 'NotConfigured',
          message: 'this operator runs without a rewrap job; the minimum decryption version is not raised',
        },
      };
    }
    if (key.state !== 'enabled') {
      return {
        condition: {
          type: 'Rewrap',
          status: 'Unknown',
          reason: 'KeyNotEnabled',
          message: `the key is ${key.state}; nothing is re-wrapped under it`,
        },
      };
    }
    try {
      const progress = await this.#rewrap.advance(tenant, keyName, { budgetMs: REWRAP_SLICE_MS });
      const requeueAfterMs = rewrapRequeueMs(progress, this.#now());
      return {
        condition: rewrapCondition(progress, keyName),
        progress,
        ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
      };
    } catch (error) {
      // Reported, not thrown: rotation and its status go on; the rewrap resumes from its cursor.
      return {
        condition: {
          type: 'Rewrap',
          status: 'False',
          reason: 'RewrapError',
          message: `the rewrap stopped and resumes from where it was: ${(error as Error).message}`,
        },
        requeueAfterMs: REWRAP_ERROR_RETRY_MS,
      };
    }
  }
}
