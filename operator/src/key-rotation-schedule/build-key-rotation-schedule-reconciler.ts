/**
 * The KeyRotationSchedule reconciler with its background rewrap: the operator's keyring, the
 * Mongo client that reaches every tenant database, and the encrypted fields every service
 * declared in @parley/contracts (ENCRYPTED_FIELDS).
 */
import { ENCRYPTED_FIELDS } from '@parley/contracts';
import { type Keyring, StoredCiphertextRewrap } from '@parley/keyring';
import type { Logger } from '@parley/kit';
import type { MongoClient } from 'mongodb';
import type { OperatorConfig } from '../config.ts';
import type { EventRecorder } from '../manager/event-recorder.ts';
import type { Kube } from '../manager/kube-client.ts';
import { KeyRotationScheduleReconciler, type ObserveDue } from './key-rotation-schedule-reconciler.ts';

export function buildKeyRotationScheduleReconciler(deps: {
  kube: Kube;
  keyring: Keyring;
  events: EventRecorder;
  mongo: MongoClient;
  logger: Logger;
  config: Pick<OperatorConfig, 'KEY_REWRAP_SETTLE_MS' | 'KEY_REWRAP_BATCH_SIZE'>;
  /** After each reconcile: when the schedule's next rotation is due; undefined once it is gone. */
  observeDue?: ObserveDue;
}): KeyRotationScheduleReconciler {
  const rewrap = new StoredCiphertextRewrap({
    client: deps.mongo,
    keyring: deps.keyring,
    fields: ENCRYPTED_FIELDS,
    logger: deps.logger,
    settleMs: deps.config.KEY_REWRAP_SETTLE_MS,
    batchSize: deps.config.KEY_REWRAP_BATCH_SIZE,
  });
  return new KeyRotationScheduleReconciler(
    deps.kube,
    deps.keyring,
    deps.events,
    undefined,
    rewrap,
    deps.observeDue,
  );
}
