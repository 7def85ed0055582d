/**
 * Parley's tenant registry: one document per tenant in parley_platform.tenants, which services
 * read to decide whether a tenant is usable. Its lifecycle events ride in the same document (the
 * outbox), so "the registry says Ready" and "tenancy.tenant.provisioned.v1 will be published"
 * are one single-document write.
 */

import {
  createEvent,
  type EventEnvelope,
  TenantAdopted,
  TenantDeleted,
  TenantProvisioned,
  TenantSuspensionChanged,
} from '@parley/contracts';
import { isDuplicateKeyError } from '@parley/kit';
import { outboxPush } from '@parley/outbox';
import { PLATFORM_DATABASE, TENANT_REGISTRY_COLLECTION, type TenantStatus } from '@parley/tenancy';
import type { Collection, MongoClient, UpdateFilter } from 'mongodb';
import type { DeletionPolicy } from '../api/resources.ts';
import type { DesiredTenant, Quotas } from './desired-state.ts';

export const REGISTRY_COLLECTION = TENANT_REGISTRY_COLLECTION;
export const EVENT_SOURCE = 'operator';

/** The registry's status is the runtime record's: one vocabulary, defined in packages/tenancy. */
export type RegistryStatus = TenantStatus;

export interface RegistryEntry {
  _id: string;
  owner: { namespace: string; name: string; uid: string };
  displayName: string;
  plan: string;
  quotas: Quotas;
  /** spec.gdpr (erasureMode): read by services through @parley/tenancy's TenantDirectory.gdprOf. */
  gdpr?: DesiredTenant['gdpr'];
  /** spec.language: read by the search service through TenantDirectory.languageOf (its index's analyzer). */
  language?: DesiredTenant['language'];
  status: RegistryStatus;
  /** The Tenant generation the entry (and its last event) describes. */
  generation: number;
  suspended: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export function registryCollection(client: MongoClient): Collection<RegistryEntry> {
  return client.db(PLATFORM_DATABASE).collection<RegistryEntry>(REGISTRY_COLLECTION);
}

export class TenantIdTakenError extends Error {
  constructor(id: string, owner: string) {
    super(`Tenant id ${id} is already registered by ${owner}`);
    this.name = 'TenantIdTakenError';
  }
}

/**
 * A Retained tenant's id claimed without an explicit adoption: from another namespace (never
 * allowed), or from the same namespace without `spec.adoptRetained` naming it.
 */
export class RetainedTenantNotAdoptedError extends Error {
  readonly reason: 'RetainedInAnotherNamespace' | 'AdoptionNotRequested';
  constructor(reason: RetainedTenantNotAdoptedError['reason'], message: string) {
    super(message);
    this.name = 'RetainedTenantNotAdoptedError';
    this.reason = reason;
  }
}

export interface TenantClaim {
  uid: string;
  name: string;
  generation: number;
  /** `spec.adoptRetained`: the id of the Retained tenant whose data this Tenant takes over. */
  adoptRetained: string | undefined;
}

export type RegistryOwner = RegistryEntry['owner'];

/** Exactly the owner's three fields (the event schema admits no others). */
function ownerOf(entry: RegistryEntry): RegistryOwner {
  return { namespace: entry.owner.namespace, name: entry.owner.name, uid: entry.owner.uid };
}

/**
 * Claims the tenant id for this Tenant object (by uid). A Tenant of the same name in another
 * namespace is refused: two objects must never share one tenant's stores. A Retained (deleted)
 * tenant's id, whose data still exists, is taken over only explicitly: by a Tenant in the
 * namespace the retained one lived in whose `spec.adoptRetained` names it. The adoption is one
 * write with its `tenancy.tenant.adopted.v1` event (outbox); the caller records a Kubernetes
 * Event from the returned previous owner.
 */
export async function claimTenantId(
  registry: Collection<RegistryEntry>,
  desired: DesiredTenant,
  claim: TenantClaim,
  now: Date,
): Promise<{ adoptedFrom?: RegistryOwner }> {
  const owner = { namespace: desired.namespace, name: claim.name, uid: claim.uid };
  const existing = await registry.findOne({ _id: desired.id });
  if (existing && existing.owner.uid === claim.uid) return {};
  if (existing && existing.status !== 'Deleted') {
    throw new TenantIdTakenError(desired.id, `${existing.owner.namespace}/${existing.owner.name}`);
  }
  try {
    if (existing) {
      const previous = `${existing.owner.namespace}/${existing.owner.name}`;
      if (existing.owner.namespace !== desired.namespace) {
        throw new RetainedTenantNotAdoptedError(
          'RetainedInAnotherNamespace',
          `tenant id ${desired.id} holds the retained data of ${previous}; only a Tenant in namespace ${existing.owner.namespace} may adopt it`,
        );
      }
      if (claim.adoptRetained !== desired.id) {
        throw new RetainedTenantNotAdoptedError(
          'AdoptionNotRequested',
          `tenant id ${desired.id} holds the retained data of ${previous}; set spec.adoptRetained: ${desired.id} to take it over, or choose another name`,
        );
      }
      const event = createEvent(TenantAdopted, {
        tenant: desired.id,
        source: EVENT_SOURCE,
        payload: { previousOwner: ownerOf(existing), owner, generation: claim.generation },
      });
      // Guarded by the previous owner's uid: two adopters racing cannot both win.
      const result = await registry.updateOne(
        { _id: desired.id, status: 'Deleted', 'owner.uid': existing.owner.uid },
        outboxPush<RegistryEntry>([event], { $set: { owner, status: 'Provisioning', updatedAt: now } }),
      );
      if (result.matchedCount === 0) throw new TenantIdTakenError(desired.id, 'a concurrent claim');
      return { adoptedFrom: ownerOf(existing) };
    }
    await registry.insertOne({
      _id: desired.id,
      owner,
      displayName: desired.displayName,
      plan: desired.plan,
      quotas: desired.quotas,
      gdpr: desired.gdpr,
      ...(desired.language ? { language: desired.language } : {}),
      status: 'Provisioning',
      generation: 0,
      suspended: desired.suspended,
      createdAt: now,
      updatedAt: now,
    });
    return {};
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new TenantIdTakenError(desired.id, 'a concurrent claim');
    throw error;
  }
}

/**
 * Records where the tenant stands and the events a change implies: provisioned when it becomes
 * Ready or its spec changed while Ready, suspension-changed when `suspended` flips.
 */
export async function recordTenantState(
  registry: Collection<RegistryEntry>,
  desired: DesiredTenant,
  uid: string,
  allReady: boolean,
  generation: number,
  now: Date,
): Promise<RegistryStatus> {
  const current = await registry.findOne({ _id: desired.id, 'owner.uid': uid });
  if (!current)
    throw new Error(`registry entry of ${desired.id} vanished; it is claimed again at the next reconcile`);
  const events: EventEnvelope[] = [];
  const tenant = desired.id;
  const wasUsable = current.status === 'Ready' || current.status === 'Suspended';
  // A tenant that has been served stays served while a later reconcile fails a step (an auth
  // service restarting, a broker away): the Tenant's Ready condition tells the platform team,
  // but the organisation's people keep working. Only a tenant never yet provisioned waits.
  const status: RegistryStatus =
    !allReady && !wasUsable ? 'Provisioning' : desired.suspended ? 'Suspended' : 'Ready';
  if (allReady && (!wasUsable || current.generation !== generation)) {
    events.push(
      createEvent(TenantProvisioned, {
        tenant,
        source: EVENT_SOURCE,
        payload: {
          displayName: desired.displayName,
          plan: desired.plan,
          quotas: desired.quotas,
          suspended: desired.suspended,
          generation,
        },
      }),
    );
  }
  // A suspension takes effect (and is announced) even while another step fails.
  if (wasUsable && current.suspended !== desired.suspended) {
    events.push(
      createEvent(TenantSuspensionChanged, {
        tenant,
        source: EVENT_SOURCE,
        payload: { suspended: desired.suspended, generation },
      }),
    );
  }
  const fields = {
    displayName: desired.displayName,
    plan: desired.plan,
    quotas: desired.quotas,
    gdpr: desired.gdpr,
    ...(desired.language ? { language: desired.language } : {}),
    status,
    suspended: desired.suspended,
    generation: allReady ? generation : current.generation,
    updatedAt: now,
  };
  const unchanged =
    events.length === 0 &&
    current.status === status &&
    current.suspended === desired.suspended &&
    JSON.stringify(current.quotas) === JSON.stringify(desired.quotas) &&
    JSON.stringify(current.gdpr ?? {}) === JSON.stringify(desired.gdpr) &&
    current.language === desired.language &&
    current.displayName === desired.displayName &&
    current.plan === desired.plan;
  if (unchanged) return status;
  // A language taken out of the spec goes from the entry too (else search would keep building the
  // tenant's next index with the old analyzer).
  const write: UpdateFilter<RegistryEntry> = desired.language
    ? { $set: fields }
    : { $set: fields, $unset: { language: '' } };
  const update = events.length > 0 ? outboxPush<RegistryEntry>(events, write) : write;
  await registry.updateOne({ _id: desired.id, 'owner.uid': uid }, update);
  return status;
}

/** Marks the entry Deleted (Retain keeps it as the record that the data still exists) or removes it. */
export async function recordTenantDeleted(
  registry: Collection<RegistryEntry>,
  tenant: string,
  uid: string,
  policy: DeletionPolicy,
  generation: number,
  now: Date,
): Promise<void> {
  const event = createEvent(TenantDeleted, {
    tenant,
    source: EVENT_SOURCE,
    payload: { deletionPolicy: policy, generation },
  });
  await registry.updateOne(
    { _id: tenant, 'owner.uid': uid },
    outboxPush<RegistryEntry>([event], { $set: { status: 'Deleted', updatedAt: now } }),
  );
}
