/**
 * The operator's settings (read through packages/kit, Parley's only reader of process.env). Every
 * one has a default that works against the local stack.
 */

import { keyRewrapSettings, masterKeySettings } from '@parley/keyring';
import {
  elasticsearchSettings,
  kafkaSettings,
  kubernetesSettings,
  mongoSettings,
  redisSettings,
  type Static,
  s3Settings,
  serviceSettings,
  Type,
} from '@parley/kit';

export const OperatorConfigSchema = Type.Object({
  ...serviceSettings(3010, 'operator'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...s3Settings,
  ...elasticsearchSettings,
  ...kubernetesSettings,
  ...masterKeySettings,
  ...keyRewrapSettings,
  /** Where the leader Lease lives (the operator's own namespace in a cluster). */
  OPERATOR_NAMESPACE: Type.String({ minLength: 1, default: 'parley-system' }),
  OPERATOR_LEASE_NAME: Type.String({ minLength: 1, default: 'parley-operator-leader' }),
  /** This replica's identity in the Lease (the pod name in a cluster). */
  OPERATOR_IDENTITY: Type.Optional(Type.String({ minLength: 1 })),
  OPERATOR_LEADER_ELECTION: Type.Boolean({ default: true }),
  OPERATOR_LEASE_DURATION_MS: Type.Integer({ minimum: 2000, default: 15_000 }),
  OPERATOR_RENEW_DEADLINE_MS: Type.Integer({ minimum: 1000, default: 10_000 }),
  OPERATOR_RETRY_PERIOD_MS: Type.Integer({ minimum: 200, default: 2_000 }),
  /** Objects reconciled in parallel per kind (one reconcile per object at a time regardless). */
  OPERATOR_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  /** Every object is reconciled at least this often, which is how drift outside Kubernetes is corrected. */
  OPERATOR_RESYNC_MS: Type.Integer({ minimum: 1000, default: 300_000 }),
  /**
   * How often the drift sweep lists every store once and reconciles the Tenants that lack
   * something (tenant/drift/drift-sweep.ts): the bound on how long a topic or user deleted by hand
   * stays missing, at a cost that does not grow with the number of tenants.
   */
  OPERATOR_DRIFT_SWEEP_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  /** A failed reconcile is retried after this long, doubling per failure up to OPERATOR_BACKOFF_MAX_MS. */
  OPERATOR_BACKOFF_BASE_MS: Type.Integer({ minimum: 10, default: 500 }),
  OPERATOR_BACKOFF_MAX_MS: Type.Integer({ minimum: 100, default: 300_000 }),
  /**
   * While a Tenant's condition says a store is unavailable, that store is probed this often (one
   * cheap call); once it answers, the Tenants waiting on it are retried at once, their backoff
   * reset (tenant/store-recovery.ts), instead of at their next backoff (up to 5 minutes).
   */
  OPERATOR_RECOVERY_PROBE_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Watch only this namespace (a namespace-scoped install); every namespace when unset. */
  OPERATOR_WATCH_NAMESPACE: Type.Optional(Type.String({ minLength: 1 })),
  OPERATOR_STEP_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 20_000 }),
  /**
   * A Tenant whose deletion a legal hold blocks is looked at again this often: holds are lifted
   * through the compliance service, outside Kubernetes, so no watch event announces it.
   */
  OPERATOR_HOLD_RECHECK_MS: Type.Integer({ minimum: 500, default: 60_000 }),
  /** The auth service, for the first admins' invitations. */
  AUTH_SERVICE_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3007' }),
  /** Replicas of each tenant search index (0 on a one-node local Elasticsearch). */
  ELASTICSEARCH_INDEX_REPLICAS: Type.Integer({ minimum: 0, maximum: 5, default: 0 }),
});

export type OperatorConfig = Static<typeof OperatorConfigSchema>;
