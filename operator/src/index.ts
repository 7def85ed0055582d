/** What other workspaces (the benchmark, tests) use of the operator. */
export * from './api/resources.ts';
export { buildTenantReconciler, tenantPhases } from './build-tenant-reconciler.ts';
export { connectOperatorClients, type OperatorClients } from './clients.ts';
export { type OperatorConfig, OperatorConfigSchema } from './config.ts';
export type { ObjectKey, ReconcileResult, Reconciler } from './manager/controller.ts';
export { createEventRecorder } from './manager/event-recorder.ts';
export { connectKube, getObject, type Kube, patchStatus } from './manager/kube-client.ts';
export { Manager } from './manager/manager.ts';
export { createOperatorMetrics } from './manager/metrics.ts';
export { openOperatorKeyring } from './operator-keyring.ts';
export { startOperator } from './start-operator.ts';
export { TENANT_COLLECTIONS } from './tenant/desired-state.ts';
export { directCredentialsStep, provisionDirect } from './tenant/direct-provisioner.ts';
export { registryCollection } from './tenant/registry.ts';
export { s3AccessKey, s3PolicyName } from './tenant/steps/s3-user.ts';
export { TenantDeletion } from './tenant/tenant-deletion.ts';
