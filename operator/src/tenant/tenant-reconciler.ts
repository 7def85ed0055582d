/**
 * Reconciles one Tenant: read it, add the finalizer, run the provisioning steps in phases (each
 * idempotent, each its own condition), then write status only if it changed. Level-based: the
 * world is read afresh every time, so a resync corrects drift (a topic or ACL user deleted by
 * hand) exactly as a spec change is applied. A Tenant being deleted runs its deletion policy
 * (tenant-deletion.ts) and then lets go of the finalizer.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '@parley/kit';
import { setCondition, summariseReady } from '../api/conditions.ts';
import { FINALIZER, TENANT_KIND, type Tenant, type TenantStatus } from '../api/resources.ts';
import type { ObjectKey, ReconcileContext, ReconcileResult, Reconciler } from '../manager/controller.ts';
import type { EventRecorder } from '../manager/event-recorder.ts';
import { getObject, type Kube, patchStatus, setFinalizers } from '../manager/kube-client.ts';
import { readOrGenerateCredentials } from './credential-secrets.ts';
import { desiredTenant } from './desired-state.ts';
import { runPhases } from './run-phases.ts';
import type { StepOutcome, TenantStep, TenantStepContext } from './step.ts';
import type { TenantDeletion } from './tenant-deletion.ts';
import { describeHolds, TenantUnderLegalHoldError } from './tenant-legal-holds.ts';

/** The Events of a first provisioning that go into its outcome's Event (see #provision). */
const CREATION_REASONS = new Set([
  'RedisUserCreated',
  'BucketCreated',
  'S3PolicyCreated',
  'S3UserCreated',
  'SearchIndexCreated',
  'CredentialsCreated',
  'TenantProvisioning',
  'TenantReady',
]);

export class TenantNotReadyError extends Error {
  constructor(key: string, reason: string) {
    super(`Tenant ${key} is not ready (${reason}); retrying with backoff`);
    this.name = 'TenantNotReadyError';
  }
}

export interface TenantReconcilerOptions {
  kube: Kube;
  /**
   * Steps in phases: phases run in order, the steps of one phase concurrently (they touch
   * different stores and need nothing from each other), so a tenant waits for its slowest store
   * rather than the sum of all of them.
   */
  phases: TenantStep[][];
  deletion: TenantDeletion;
  events: EventRecorder;
  logger: Logger;
  stepTimeoutMs: number;
  /** The operator's own namespace, where the tenants' credential stores are (credential-secrets.ts). */
  credentialStoreNamespace: string;
  /** How often a deletion blocked by a legal hold looks at the holds again. */
  holdRecheckMs: number;
  observeStep?: (step: string, status: string, seconds: number) => void;
  /** After each status write: whether the Tenant is Ready; undefined once it is gone. */
  observeReady?: (key: ObjectKey, ready: boolean | undefined) => void;
}

export class TenantReconciler implements Reconciler {
  readonly kind = TENANT_KIND;
  readonly #o: TenantReconcilerOptions;

  constructor(options: TenantReconcilerOptions) {
    this.#o = options;
  }

  async reconcile({ namespace, name }: ObjectKey, context?: ReconcileContext): Promise<ReconcileResult> {
    const { kube } = this.#o;
    const tenant = await getObject<Tenant>(kube, TENANT_KIND, namespace, name);
    if (!tenant) {
      this.#o.observeReady?.({ namespace, name }, undefined);
      return {}; // gone; its finalizer already ran
    }
    const finalizers = tenant.metadata.finalizers ?? [];
    if (tenant.metadata.deletionTimestamp) {
      if (!finalizers.includes(FINALIZER)) return {};
      try {
        await this.#o.deletion.run(tenant);
      } catch (error) {
        if (error instanceof TenantUnderLegalHoldError) return this.#heldBack(tenant, error);
        // Say why the Tenant stays Terminating; the finalizer is retried with backoff.
        const policy = tenant.spec.deletionPolicy ?? 'Retain';
        await this.#writeStatus(
          tenant,
          [
            {
              type: 'Ready',
              status: 'False',
              reason: 'DeletionFailed',
              message: `${policy} cleanup failed: ${(error as Error).message}`,
            },
          ],
          {},
          tenant.status?.secretName ?? '',
        ).catch(() => {});
        throw error;
      }
      await setFinalizers(
        kube,
        TENANT_KIND,
        tenant,
        finalizers.filter((f) => f !== FINALIZER),
      );
      this.#o.observeReady?.({ namespace, name }, undefined);
      return {};
    }
    if (!finalizers.includes(FINALIZER)) {
      // The finalizer first: provisioning starts only once the cleanup is guaranteed. Then on in
      // the same reconcile (the write's own watch event is not a reason for another: a second
      // reconcile per new Tenant cost a GET, a trip through the queue and the watch's delay).
      const withFinalizer: Tenant = {
        ...tenant,
        metadata: { ...tenant.metadata, finalizers: [...finalizers, FINALIZER] },
      };
      context?.expectOwnWrite(withFinalizer);
      await setFinalizers(kube, TENANT_KIND, tenant, [...finalizers, FINALIZER]);
      return this.#provision(withFinalizer);
    }
    return this.#provision(tenant);
  }

  /** A deletion a legal hold forbids: say so (once per change of the holds) and look again later. */
  async #heldBack(tenant: Tenant, error: TenantUnderLegalHoldError): Promise<ReconcileResult> {
    const policy = tenant.spec.deletionPolicy ?? 'Retain';
    const message = `${policy} waits for the legal hold(s) on this tenant to be lifted: ${describeHolds(error.holds)}. Access is revoked; no data or key is removed until the last hold is lifted.`;
    const previous = tenant.status?.conditions?.find((c) => c.type === 'Deletion');
    await this.#writeStatus(
      tenant,
      [
        { type: 'Ready', status: 'False', reason: 'UnderLegalHold', message },
        { type: 'Deletion', status: 'False', reason: 'UnderLegalHold', message },
      ],
      {},
      tenant.status?.secretName ?? '',
    );
    if (previous?.reason !== 'UnderLegalHold' || previous.message !== message) {
      await this.#o.events.record(tenant, 'Warning', 'DeletionBlockedByLegalHold', message);
    }
    return { requeueAfterMs: this.#o.holdRecheckMs };
  }

  async #provision(tenant: Tenant): Promise<ReconcileResult> {
    const key = `${tenant.metadata.namespace}/${tenant.metadata.name}`;
    const desired = desiredTenant(tenant);
    const { credentials, existing } = await readOrGenerateCredentials(
      this.#o.kube,
      desired,
      this.#o.credentialStoreNamespace,
    );
    const outcomes = new Map<string, StepOutcome>();
    // A Tenant's first provisioning creates a thing in nearly every store, and an Event each would
    // cost the API server (and etcd) half a dozen writes per tenant: the notes of those routine
    // creations (CREATION_REASONS) are kept and recorded as one Event with the outcome (kubectl
    // describe lists them in one line, in order). Warnings, other Events (an adoption) and every
    // later reconcile's (a retry, a drift repair, a placement move) stay Events of their own.
    const merged: string[] | undefined = tenant.status?.conditions?.length ? undefined : [];
    const context: TenantStepContext & { earlier: Map<string, StepOutcome> } = {
      tenant,
      desired,
      credentials,
      existingSecret: existing,
      facts: {},
      earlier: outcomes,
      event: (type, reason, note) => {
        if (merged && type === 'Normal' && CREATION_REASONS.has(reason)) merged.push(note);
        else void this.#o.events.record(tenant, type, reason, note);
      },
    };
    await runPhases(this.#o.phases, context, {
      stepTimeoutMs: this.#o.stepTimeoutMs,
      logger: this.#o.logger,
      ...(this.#o.observeStep ? { observeStep: this.#o.observeStep } : {}),
    });
    const stepConditions = [...outcomes.entries()].map(([type, o]) => ({ type, ...o }));
    const readyCondition = summariseReady(stepConditions);
    await this.#writeStatus(
      tenant,
      [readyCondition, ...stepConditions],
      context.facts,
      desired.secretName,
      merged ?? [],
    );
    if (readyCondition.status !== 'True') throw new TenantNotReadyError(key, readyCondition.reason);
    return {};
  }

  async #writeStatus(
    tenant: Tenant,
    inputs: { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string }[],
    facts: TenantStepContext['facts'],
    secretName: string,
    /** Normal notes of this reconcile not recorded yet: they go with the outcome's Event. */
    notes: string[] = [],
  ): Promise<void> {
    const generation = tenant.metadata.generation ?? 0;
    const now = new Date();
    const previous = tenant.status ?? {};
    let conditions = previous.conditions ?? [];
    for (const input of inputs) conditions = setCondition(conditions, input, generation, now);
    const status: TenantStatus = {
      observedGeneration: generation,
      secretName,
      ...(facts.keyVersion !== undefined
        ? { keyVersion: facts.keyVersion }
        : previous.keyVersion !== undefined
          ? { keyVersion: previous.keyVersion }
          : {}),
      ...(facts.topics ? { topics: facts.topics } : previous.topics ? { topics: previous.topics } : {}),
      conditions,
    };
    // Before the unchanged-status shortcut: a restarted operator reports every Tenant again.
    this.#o.observeReady?.(
      { namespace: tenant.metadata.namespace, name: tenant.metadata.name },
      conditions.find((c) => c.type === 'Ready')?.status === 'True',
    );
    const unchanged = isDeepStrictEqual(status, normalise(previous));
    if (!unchanged)
      await patchStatus(this.#o.kube, TENANT_KIND, tenant.metadata.namespace, tenant.metadata.name, status);
    const wasReady = previous.conditions?.find((c) => c.type === 'Ready')?.status;
    const ready = conditions.find((c) => c.type === 'Ready');
    if (!unchanged && ready && ready.status !== wasReady) {
      await this.#o.events.record(
        tenant,
        ready.status === 'True' ? 'Normal' : 'Warning',
        ready.status === 'True' ? 'Ready' : ready.reason,
        [ready.message, ...notes].join('; '),
      );
    } else if (notes.length > 0) {
      await this.#o.events.record(tenant, 'Normal', 'Provisioning', notes.join('; '));
    }
  }
}

/** Only the fields we write, so "unchanged" compares equal (key order does not matter). */
function normalise(status: TenantStatus): TenantStatus {
  return {
    observedGeneration: status.observedGeneration,
    secretName: status.secretName,
    ...(status.keyVersion !== undefined ? { keyVersion: status.keyVersion } : {}),
    ...(status.topics ? { topics: status.topics } : {}),
    conditions: status.conditions ?? [],
  } as TenantStatus;
}
