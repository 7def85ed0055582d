/**
 * How a drifted Tenant is told, for `kubectl describe` and `kubectl get -o yaml` alike: a Warning
 * Event DriftDetected naming what the sweep found missing or changed, and status.lastDrift (when
 * and what), which stays after the repair as the record of the last drift. The repair itself is the
 * reconcile's: its steps record what they restored (TopicsRecreated, S3PolicyRestored, ...).
 * status.lastDrift is a field of its own, merged into the status (the reconcile's status writes
 * leave it alone), and no reconcile is triggered by it (status-only changes are not).
 */
import { TENANT_KIND, type Tenant } from '../../api/resources.ts';
import type { EventRecorder } from '../../manager/event-recorder.ts';
import { type Kube, patchStatus } from '../../manager/kube-client.ts';

export function driftReporter(kube: Kube, events: EventRecorder, now: () => Date = () => new Date()) {
  return async (tenant: Tenant, missing: string[]): Promise<void> => {
    await events.record(
      tenant,
      'Warning',
      'DriftDetected',
      `missing or changed outside the operator: ${missing.join('; ')}; reconciling to restore`,
    );
    await patchStatus(kube, TENANT_KIND, tenant.metadata.namespace, tenant.metadata.name, {
      lastDrift: {
        detectedAt: now()
          .toISOString()
          .replace(/\.\d+Z$/, 'Z'),
        missing,
      },
    });
  };
}
