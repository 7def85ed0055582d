/**
 * The local set of revoked sessions, per tenant, with bounds that whoever can write a tenant's
 * revocation channel or set cannot push past:
 * - An entry matters until the session's last access token expires, which is never more than
 *   `maxRelevanceMs` ahead (the longest access-token lifetime plus skew). An entry claiming to
 *   matter longer is not one the auth service wrote: it is ignored, so it can neither pin memory
 *   nor keep a session refused forever.
 * - Each tenant keeps at most `maxEntriesPerTenant` entries, so a flood on one tenant's channel
 *   cannot exhaust the process or crowd out other tenants' revocations. A tenant past its bound
 *   fails closed: every session of that tenant counts as revoked until the dropped entries would
 *   have lapsed. Evicting instead would let a flood resurrect a revoked (stolen) session.
 */

export type RevocationRefusal = 'channel-tenant' | 'far-future' | 'overflow';

export interface RevokedSessionsBounds {
  maxEntriesPerTenant: number;
  maxRelevanceMs: number;
}

/** Access tokens live at most an hour (auth's ACCESS_TOKEN_TTL_SECONDS); two leave room for skew. */
export const DEFAULT_REVOCATION_BOUNDS: RevokedSessionsBounds = {
  maxEntriesPerTenant: 20_000,
  maxRelevanceMs: 2 * 3_600_000,
};

export class RevokedSessions {
  readonly #bounds: RevokedSessionsBounds;
  readonly #byTenant = new Map<string, Map<string, number>>();
  /** Tenants past their bound, and until when all their sessions count as revoked. */
  readonly #failClosedUntil = new Map<string, number>();
  readonly #refused: Record<RevocationRefusal, number> = {
    'channel-tenant': 0,
    'far-future': 0,
    overflow: 0,
  };

  constructor(bounds: RevokedSessionsBounds) {
    this.#bounds = bounds;
  }

  get bounds(): RevokedSessionsBounds {
    return this.#bounds;
  }

  /** The hot path: one or two map lookups. */
  has(tenant: string, sessionId: string): boolean {
    const closedUntil = this.#failClosedUntil.get(tenant);
    if (closedUntil !== undefined && closedUntil >= Date.now()) return true;
    return this.#byTenant.get(tenant)?.has(sessionId) ?? false;
  }

  /**
   * True when the revocation takes effect (kept, or past the bound: the tenant fails closed);
   * false when ignored (already lapsed, or further ahead than any token lives).
   */
  add(tenant: string, sessionId: string, relevantUntil: number, now = Date.now()): boolean {
    if (relevantUntil < now) return false;
    if (relevantUntil > now + this.#bounds.maxRelevanceMs) {
      this.refuse('far-future');
      return false;
    }
    let sessions = this.#byTenant.get(tenant);
    if (!sessions) {
      sessions = new Map();
      this.#byTenant.set(tenant, sessions);
    }
    const known = sessions.get(sessionId);
    if (known === undefined && sessions.size >= this.#bounds.maxEntriesPerTenant) {
      // One pass over the tenant's entries, not one per message of a flood: while the tenant
      // fails closed, what arrives only extends that.
      const closed = (this.#failClosedUntil.get(tenant) ?? 0) >= now;
      if (!closed) this.#pruneTenant(sessions, now);
      if (sessions.size >= this.#bounds.maxEntriesPerTenant) {
        this.failClosed(tenant, relevantUntil);
        return true;
      }
    }
    sessions.set(sessionId, Math.max(relevantUntil, known ?? 0));
    return true;
  }

  /** Every session of the tenant counts as revoked until `until` (a revocation could not be kept). */
  failClosed(tenant: string, until: number): void {
    this.refuse('overflow');
    this.#failClosedUntil.set(tenant, Math.max(until, this.#failClosedUntil.get(tenant) ?? 0));
  }

  refuse(reason: RevocationRefusal): void {
    this.#refused[reason] += 1;
  }

  refusedCount(reason: RevocationRefusal): number {
    return this.#refused[reason];
  }

  get size(): number {
    let size = 0;
    for (const sessions of this.#byTenant.values()) size += sessions.size;
    return size;
  }

  sizeOf(tenant: string): number {
    return this.#byTenant.get(tenant)?.size ?? 0;
  }

  /** Forgets what has lapsed (those sessions' tokens fail on exp anyway). */
  prune(now = Date.now()): void {
    for (const [tenant, sessions] of this.#byTenant) {
      this.#pruneTenant(sessions, now);
      if (sessions.size === 0) this.#byTenant.delete(tenant);
    }
    for (const [tenant, until] of this.#failClosedUntil)
      if (until < now) this.#failClosedUntil.delete(tenant);
  }

  #pruneTenant(sessions: Map<string, number>, now: number): void {
    for (const [sessionId, until] of sessions) if (until < now) sessions.delete(sessionId);
  }
}
