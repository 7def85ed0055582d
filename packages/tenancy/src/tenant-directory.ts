/**
 * Which tenants exist, for the work a service does over every tenant (outbox relays, sweepers,
 * guards): the registry the operator writes (`parley_platform.tenants`, one entry per tenant,
 * operator/src/tenant/registry.ts), never the list of `parley_*` databases. A database says only
 * that something once wrote there (a test's leftovers, a tenant whose provisioning failed before
 * its topics existed); the registry says the operator provisioned the tenant and where it stands.
 *
 * Two views:
 * - `served()`: Ready and Suspended tenants, whose topics exist: what relays publish for.
 * - `withData()`: those and the Deleted-but-Retained ones, whose data is still kept: what
 *   maintenance covers (expiries, legal-hold guards, audit sweeps), since retained data keeps
 *   its legal duties.
 * A tenant still Provisioning is in neither until the operator's last step marks it Ready.
 *
 * The list is remembered for a few seconds (one small query per interval, not per pass), so a
 * new tenant's first event waits at most that long.
 *
 * `gdprOf(tenant)`: the tenant's GDPR policy from its Tenant's spec.gdpr (the operator copies it
 * into the entry), read fresh at each call: erasures are rare, and one must follow the policy in
 * force when it runs.
 */
import type { Db } from 'mongodb';
import { PLATFORM_DATABASE } from './resource-names.ts';
import { isTenantId } from './tenant-id.ts';
import { TENANT_STATUSES, type TenantStatus } from './tenant-runtime.ts';

/** The registry's collection in the platform database (the operator's registry.ts writes it). */
export const TENANT_REGISTRY_COLLECTION = 'tenants';

const SERVED: readonly TenantStatus[] = ['Ready', 'Suspended'];
const WITH_DATA: readonly TenantStatus[] = ['Ready', 'Suspended', 'Deleted'];

/** The one registry field the directory reads besides the id. */
interface RegistryStatusEntry {
  _id: string;
  status: TenantStatus;
}

export type GdprErasureMode = 'delete' | 'anonymise';

/** spec.gdpr of the tenant's Tenant; a field left unset means "the service's deployment default". */
export interface TenantGdprPolicy {
  erasureMode?: GdprErasureMode;
}

const ERASURE_MODES: readonly string[] = ['delete', 'anonymise'];

/**
 * A tenant's main language (spec.language of its Tenant, ISO 639-1), for what depends on it: the
 * search index's analyzer (stemming and stop words), chosen when the index is made.
 */
export const TENANT_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] as const;
export type TenantLanguage = (typeof TENANT_LANGUAGES)[number];

export class TenantDirectory {
  readonly #db: Db;
  readonly #cacheMs: number;
  #cached: { at: number; entries: RegistryStatusEntry[] } | undefined;

  /** `platformDb`: parley_platform (`client.db(PLATFORM_DATABASE)`), or a test's own. */
  constructor(platformDb: Db, options: { cacheMs?: number } = {}) {
    this.#db = platformDb;
    this.#cacheMs = options.cacheMs ?? 5_000;
  }

  static forClient(client: { db(name: string): Db }, options: { cacheMs?: number } = {}): TenantDirectory {
    return new TenantDirectory(client.db(PLATFORM_DATABASE), options);
  }

  /** Ready and Suspended tenants (their topics exist). */
  served(): Promise<string[]> {
    return this.withStatus(SERVED);
  }

  /** Every tenant whose data is kept: served ones and Deleted ones retained. */
  withData(): Promise<string[]> {
    return this.withStatus(WITH_DATA);
  }

  async withStatus(statuses: readonly TenantStatus[]): Promise<string[]> {
    const entries = await this.#entries();
    return entries.filter((e) => statuses.includes(e.status)).map((e) => e._id);
  }

  /** The tenant's GDPR policy as its registry entry holds it ({} when unset or unregistered). */
  async gdprOf(tenant: string): Promise<TenantGdprPolicy> {
    const entry = await this.#db
      .collection<{ _id: string; gdpr?: { erasureMode?: unknown } }>(TENANT_REGISTRY_COLLECTION)
      .findOne({ _id: tenant }, { projection: { gdpr: 1 } });
    const mode = entry?.gdpr?.erasureMode;
    // Anything but a known mode is ignored, so a malformed entry falls back to the default.
    return typeof mode === 'string' && ERASURE_MODES.includes(mode)
      ? { erasureMode: mode as GdprErasureMode }
      : {};
  }

  /** The tenant's language as its registry entry holds it (undefined when unset, unknown or unregistered). */
  async languageOf(tenant: string): Promise<TenantLanguage | undefined> {
    const entry = await this.#db
      .collection<{ _id: string; language?: unknown }>(TENANT_REGISTRY_COLLECTION)
      .findOne({ _id: tenant }, { projection: { language: 1 } });
    const language = entry?.language;
    return typeof language === 'string' && (TENANT_LANGUAGES as readonly string[]).includes(language)
      ? (language as TenantLanguage)
      : undefined;
  }

  async #entries(): Promise<RegistryStatusEntry[]> {
    if (this.#cached && Date.now() - this.#cached.at <= this.#cacheMs) return this.#cached.entries;
    const found = await this.#db
      .collection<RegistryStatusEntry>(TENANT_REGISTRY_COLLECTION)
      .find({ status: { $in: [...TENANT_STATUSES] } }, { projection: { _id: 1, status: 1 } })
      .toArray();
    // An id that is not a tenant id is never handed to code that builds names from it.
    const entries = found.filter((e) => isTenantId(e._id)).sort((a, b) => a._id.localeCompare(b._id));
    this.#cached = { at: Date.now(), entries };
    return entries;
  }
}
