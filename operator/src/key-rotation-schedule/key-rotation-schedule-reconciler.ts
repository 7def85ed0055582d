/**
 * Reconciles a KeyRotationSchedule: reads the key from packages/keyring, rotates it when a slot
 * is due (or the force-rotate annotation has a new value), keeps only `versionsKept` versions able
 * to decrypt and applies spec.minDecryptionVersion (which only rises), then reports the key's
 * state and when it rotates next, and asks to be looked at again then (requeue-after). The
 * rotation event (crypto.key.rotated.v1) is written by the keyring into its outbox in the same
 * write as the rotation and published by the operator's relay.
 */
import type { Keyring } from '@parley/keyring';
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
import { planRotation, targetMinDecryptionVersion } from './rotation-plan.ts';

export type RotatingKeys = Pick<Keyring, 'listVersions' | 'rotate' | 'setMinDecryptionVersion'>;

const KEY_MISSING_RETRY_MS = 10_000;
const MAX_REQUEUE_MS = 3600_000;

export class KeyRotationScheduleReconciler implements Reconciler {
  readonly kind = KEY_ROTATION_SCHEDULE_KIND;
  readonly #kube: Kube;
  readonly #keys: RotatingKeys;
  readonly #events: EventRecorder;
  readonly #now: () => Date;

  constructor(kube: Kube, keys: RotatingKeys, events: EventRecorder, now: () => Date = () => new Date()) {
    this.#kube = kube;
    this.#keys = keys;
    this.#events = events;
    this.#now = now;
  }

  async reconcile({ namespace, name }: ObjectKey): Promise<ReconcileResult> {
    const schedule = await getObject<KeyRotationSchedule>(
      this.#kube,
      KEY_ROTATION_SCHEDULE_KIND,
      namespace,
      name,
    );
    if (!schedule) return {};
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

    const target = targetMinDecryptionVersion(
      key.primaryVersion,
      key.minDecryptionVersion,
      spec.versionsKept ?? 3,
      spec.minDecryptionVersion,
    );
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
        : {
            type: 'MinDecryptionVersion',
            status: 'True',
            reason: 'Applied',
            message: `versions ${key.minDecryptionVersion}..${key.primaryVersion} can decrypt`,
          },
    );
    conditions.push(
      spec.rewrapPolicy === 'Background'
        ? {
            type: 'Rewrap',
            status: 'Unknown',
            reason: 'DelegatedToDataOwners',
            message:
              'data keys are re-wrapped by the services that store them when they consume crypto.key.rotated.v1; the operator holds no data keys and has no progress to report',
          }
        : { type: 'Rewrap', status: 'True', reason: 'NotRequested', message: 'rewrapPolicy is None' },
    );
    const ready = conditions.filter((c) => c.type !== 'Rewrap').every((c) => c.status === 'True');
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
        rewrap: { state: 'Idle' },
      },
      conditions,
    );
    if (!nextRotation) return {};
    return {
      requeueAfterMs: Math.min(
        MAX_REQUEUE_MS,
        Math.max(1000, nextRotation.getTime() - this.#now().getTime()),
      ),
    };
  }
}
