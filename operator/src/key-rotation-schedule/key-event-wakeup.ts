/**
 * Wakes the KeyRotationSchedules a key event concerns. A key also changes outside its schedule
 * (the crypto service's rotate or min-version calls, the usage ceiling), and the schedule's
 * status and rewrap must follow without waiting for the periodic resync: every `crypto.key.*`
 * event on a tenant's keys topic queues the schedules of that tenant and key. Queuing is
 * idempotent (the work queue holds a key once), so redelivered or replayed events cost nothing
 * but a reconcile that finds the world as it is.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { EventEnvelope } from '@parley/contracts';
import { KeyEventsSubscription } from '@parley/crypto-client';
import type { Logger, Stoppable } from '@parley/kit';
import type { Kafka } from 'kafkajs';
import type { KeyRotationScheduleSpec } from '../api/resources.ts';

/** What the wake-up needs of the schedules' controller. */
export interface ScheduleQueue {
  enqueueMatching(predicate: (object: KubernetesObject) => boolean): number;
}

/** Whether a schedule names the event's tenant and key (the key defaults to `default`, as in the CRD). */
export function scheduleConcerns(object: KubernetesObject, event: EventEnvelope): boolean {
  const spec = (object as { spec?: Partial<KeyRotationScheduleSpec> }).spec;
  if (spec?.tenantRef?.name !== event.tenant) return false;
  const eventKey = (event.payload as { keyName?: unknown }).keyName;
  return typeof eventKey !== 'string' || (spec.keyName ?? 'default') === eventKey;
}

export function createKeyEventWakeup(options: {
  kafka: Kafka;
  logger: Logger;
  schedules: ScheduleQueue;
  refreshMs?: number;
}): KeyEventsSubscription & Stoppable {
  return new KeyEventsSubscription({
    kafka: options.kafka,
    logger: options.logger,
    groupPrefix: 'operator.key-events',
    ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}),
    onEvent: (event) => {
      const queued = options.schedules.enqueueMatching((object) => scheduleConcerns(object, event));
      if (queued > 0)
        options.logger.debug({ tenant: event.tenant, type: event.type, queued }, 'key event woke schedules');
    },
  });
}
