/**
 * TypeScript shapes of the three custom resources (group parley.dev, v1alpha1). The API server
 * validates specs against the CRD schemas in k8s/crds/ (OpenAPI + CEL) before the operator ever
 * sees them, and fills the schema defaults, so these types describe already-valid objects.
 */
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import type { TenantLanguage } from '@parley/tenancy';

export const GROUP = 'parley.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const FINALIZER = 'parley.dev/tenant-cleanup';
export const FORCE_ROTATE_ANNOTATION = 'parley.dev/force-rotate';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface CustomResource<Spec, Status> extends KubernetesObject {
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: Spec;
  status?: Status;
}

export type Plan = 'free' | 'team' | 'enterprise';
export type DeletionPolicy = 'Retain' | 'Delete' | 'CryptoShred';
export type GdprErasureMode = 'delete' | 'anonymise';

export interface TenantSpec {
  displayName: string;
  plan: Plan;
  quotas?: { users?: number; storageGiB?: number; messagesPerSecond?: number };
  admins?: string[];
  kafka?: { partitions?: number; replicationFactor?: number };
  suspended?: boolean;
  deletionPolicy?: DeletionPolicy;
  /**
   * Where the tenant's data lives, for the stores whose per-tenant cost binds first. search:
   * Dedicated (its own Elasticsearch index) or Shared (a filtered alias on one shared index);
   * unset, by plan (desired-state.ts).
   */
  placement?: { search?: 'Dedicated' | 'Shared' };
  /**
   * The tenant's GDPR policy, which services read from the registry: `erasureMode` says whether
   * an erased person's messages are deleted or kept attributed to "former member". Unset: each
   * service's deployment default (messaging: GDPR_ERASURE_MODE).
   */
  gdpr?: { erasureMode?: GdprErasureMode };
  /**
   * The tenant's main language (ISO 639-1: en, de, fr, es, it, nl, pt), carried into the registry:
   * the search index's analyzer (stemming, stop words) when the index is made. Unset: standard.
   */
  language?: TenantLanguage;
  /**
   * Take over the data a Retained (deleted) tenant of this id left behind: must equal
   * metadata.name (the CRD checks), and only a Tenant in the namespace the retained one lived in
   * may do so. Without it a retained id is refused.
   */
  adoptRetained?: string;
}

export interface TenantStatus {
  observedGeneration?: number;
  secretName?: string;
  keyVersion?: number;
  topics?: string[];
  /** What the drift sweep last found missing or changed by hand, and when (drift/drift-report.ts). */
  lastDrift?: { detectedAt: string; missing: string[] };
  conditions?: Condition[];
}

export type Tenant = CustomResource<TenantSpec, TenantStatus>;

export type RetentionResource = 'messages' | 'media' | 'audit';

export interface RetentionPolicySpec {
  tenantRef: { name: string };
  schedule?: string;
  dryRun?: boolean;
  rules: {
    resource: RetentionResource;
    maxAge: string;
    conversationSelector?: { conversationIds?: string[] };
  }[];
}

export interface RetentionPolicyStatus {
  observedGeneration?: number;
  nextRun?: string;
  lastRun?: { time: string; dryRun: boolean; purged: Record<string, number>; skippedForHolds: number };
  topicRetentionMs?: number;
  conditions?: Condition[];
}

export type RetentionPolicy = CustomResource<RetentionPolicySpec, RetentionPolicyStatus>;

export interface KeyRotationScheduleSpec {
  tenantRef: { name: string };
  keyName?: string;
  period?: string;
  cron?: string;
  /** Background when unset (the CRD's default): retiring a version waits for the rewrap. */
  rewrapPolicy?: 'None' | 'Background';
  versionsKept?: number;
  minDecryptionVersion?: number;
}

export interface KeyRotationScheduleStatus {
  observedGeneration?: number;
  currentVersion?: number;
  minDecryptionVersion?: number;
  lastRotation?: string;
  nextRotation?: string;
  lastSlot?: string;
  lastForceRotate?: string;
  rewrap?: KeyRotationRewrapStatus;
  conditions?: Condition[];
}

/** Progress of the background rewrap (rewrapPolicy Background); `{state: 'Idle'}` for None. */
export interface KeyRotationRewrapStatus {
  state: 'Idle' | 'Running' | 'Waiting' | 'Done' | 'Failed';
  /** The primary version the rewrap moves stored ciphertexts to. */
  targetVersion?: number;
  /** Every registered ciphertext is known to be at this version or later. */
  completedVersion?: number;
  pass?: number;
  /** Re-wrapped towards the target, over all passes. */
  rewrapped?: number;
  /** Ciphertexts in the current pass, and those not examined yet. */
  total?: number;
  remaining?: number;
  failed?: number;
  fields?: {
    id: string;
    total: number;
    examined: number;
    rewrapped: number;
    remaining: number;
    conflicts: number;
    failed: number;
  }[];
}

export type KeyRotationSchedule = CustomResource<KeyRotationScheduleSpec, KeyRotationScheduleStatus>;

/** How the manager finds each kind on the API server. */
export interface KindInfo {
  kind: string;
  plural: string;
}

export const TENANT_KIND: KindInfo = { kind: 'Tenant', plural: 'tenants' };
export const RETENTION_POLICY_KIND: KindInfo = { kind: 'RetentionPolicy', plural: 'retentionpolicies' };
export const KEY_ROTATION_SCHEDULE_KIND: KindInfo = {
  kind: 'KeyRotationSchedule',
  plural: 'keyrotationschedules',
};
