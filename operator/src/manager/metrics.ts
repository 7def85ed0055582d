/**
 * The manager's Prometheus metrics, named parley_operator_<what>_<unit> and labelled by kind.
 * A registry per manager (never the global one) so two managers in one test process don't collide;
 * main.ts passes the app's registry so /metrics serves them next to the process metrics.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'kind' | 'result'>;
  reconcileDuration: Histogram<'kind'>;
  reconcileErrors: Counter<'kind'>;
  queueDepth: Gauge<'kind'>;
  inFlight: Gauge<'kind'>;
  isLeader: Gauge;
  stepDuration: Histogram<'step' | 'status'>;
  tenantReady: Gauge<'tenant_namespace' | 'tenant'>;
  keyRotationDue: Gauge<'schedule_namespace' | 'schedule'>;
  driftSweepDuration: Histogram;
  driftedTenants: Counter;
  storeRecoveryRetries: Counter;
}

export function createOperatorMetrics(registry: Registry = new Registry()): OperatorMetrics {
  return {
    registry,
    reconciles: new Counter({
      name: 'parley_operator_reconciles_total',
      help: 'Reconciles finished, by kind and result (success, requeue, error)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'parley_operator_reconcile_duration_seconds',
      help: 'Time one reconcile took',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'parley_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were requeued with backoff',
      labelNames: ['kind'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'parley_operator_queue_depth_items',
      help: 'Keys waiting in the work queue',
      labelNames: ['kind'],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'parley_operator_reconciles_in_flight_items',
      help: 'Reconciles running now',
      labelNames: ['kind'],
      registers: [registry],
    }),
    stepDuration: new Histogram({
      name: 'parley_operator_tenant_step_duration_seconds',
      help: 'Time one Tenant provisioning step took, by step and resulting condition status',
      labelNames: ['step', 'status'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    }),
    // Per object, set by the leader's reconciles and removed when the object goes; the alerts
    // read them only from the leader's pod (a former leader's values go stale).
    tenantReady: new Gauge({
      name: 'parley_operator_tenant_ready',
      help: "1 while a Tenant's Ready condition is True, 0 while it is not, as of its last reconcile",
      labelNames: ['tenant_namespace', 'tenant'],
      registers: [registry],
    }),
    keyRotationDue: new Gauge({
      name: 'parley_operator_key_rotation_due_timestamp_seconds',
      help: "When a KeyRotationSchedule's next rotation is due (its status.nextRotation); in the past while a rotation is overdue",
      labelNames: ['schedule_namespace', 'schedule'],
      registers: [registry],
    }),
    driftSweepDuration: new Histogram({
      name: 'parley_operator_drift_sweep_duration_seconds',
      help: 'Time one drift sweep took (one batched listing of every store, compared with every Ready Tenant)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    driftedTenants: new Counter({
      name: 'parley_operator_drifted_tenants_total',
      help: 'Tenants a drift sweep found lacking something in a store and queued for a reconcile',
      registers: [registry],
    }),
    storeRecoveryRetries: new Counter({
      name: 'parley_operator_store_recovery_retries_total',
      help: 'Tenants retried at once (backoff reset) because the store their condition named as unavailable answered again',
      labelNames: ['store'],
      registers: [registry],
    }),
    isLeader: new Gauge({
      name: 'parley_operator_leader_info',
      help: '1 while this process holds the leader Lease',
      registers: [registry],
    }),
  };
}
