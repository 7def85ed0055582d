/**
 * Kubernetes Events for what the operator did ("Provisioned", "TopicRecreated", "Rotated", ...),
 * shown by `kubectl describe`. Recording an event must never fail a reconcile, so errors are
 * logged and swallowed.
 */
import { V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from '@parley/kit';
import type { Kube } from './kube-client.ts';

export interface EventTarget {
  apiVersion?: string;
  kind?: string;
  metadata: { namespace: string; name: string; uid?: string; resourceVersion?: string };
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(target: EventTarget, type: EventType, reason: string, note: string): Promise<void>;
}

export function createEventRecorder(
  kube: Kube,
  controller: string,
  instance: string,
  logger: Logger,
): EventRecorder {
  return {
    async record(target, type, reason, note) {
      const namespace = target.metadata.namespace;
      try {
        await kube.events.createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${target.metadata.name}-`, namespace },
            eventTime: new V1MicroTime(),
            reportingController: controller,
            reportingInstance: instance,
            action: reason,
            reason,
            type,
            note: note.slice(0, 1024),
            regarding: {
              apiVersion: target.apiVersion,
              kind: target.kind,
              namespace,
              name: target.metadata.name,
              uid: target.metadata.uid,
              resourceVersion: target.metadata.resourceVersion,
            },
          },
        });
      } catch (error) {
        logger.warn(
          { err: error, reason, object: `${namespace}/${target.metadata.name}` },
          'could not record event',
        );
      }
    },
  };
}
