/**
 * One provisioning step of a Tenant (Strimzi's model): a name that is also its condition type, and
 * an idempotent apply() that makes one store match the desired state and says how it went. A step
 * never throws for an expected failure; the reconciler turns an unexpected throw into a False
 * condition with the error's reason, so one broken store never hides the state of the others.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { ConditionStatus, Tenant } from '../api/resources.ts';
import type { EventType } from '../manager/event-recorder.ts';
import type { TenantCredentials } from './credentials.ts';
import type { DesiredTenant } from './desired-state.ts';

export interface StepOutcome {
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface TenantStepContext {
  tenant: Tenant;
  desired: DesiredTenant;
  credentials: TenantCredentials;
  /** Records a Kubernetes Event on the Tenant (e.g. a topic recreated after drift). */
  event(type: EventType, reason: string, note: string): void;
  /** Facts a step learned that go into status (e.g. the key version). */
  facts: {
    keyVersion?: number;
    topics?: string[];
    mongoUserSupported?: boolean;
    /** The tenant has its own Elasticsearch user (the server has security). */
    searchUserSupported?: boolean;
  };
  /** The tenant's credential store (credential-secrets.ts) as read at the start of the reconcile. */
  existingSecret: V1Secret | undefined;
  /** The outcomes of the steps before this one, by condition type. */
  earlier: ReadonlyMap<string, StepOutcome>;
}

export interface TenantStep {
  /** PascalCase; the condition type in status.conditions. */
  readonly name: string;
  /**
   * The earlier steps whose outcome (or facts) this one needs; it starts as soon as they are
   * done rather than when its whole previous phase is. Unset: every step of earlier phases.
   */
  readonly after?: readonly string[];
  apply(context: TenantStepContext): Promise<StepOutcome>;
}

/** `step`, started as soon as the named earlier steps are done (see TenantStep.after). */
export function needing(after: readonly string[], step: TenantStep): TenantStep {
  return { name: step.name, after, apply: (context) => step.apply(context) };
}

export const ready = (reason: string, message: string): StepOutcome => ({ status: 'True', reason, message });
export const notReady = (reason: string, message: string): StepOutcome => ({
  status: 'False',
  reason,
  message,
});
