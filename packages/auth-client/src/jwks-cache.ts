/**
 * The signing keys, held in memory per tenant. Verification never waits on the network while the
 * key id is known: a tenant's keys are loaded the first time one of its tokens is seen and then
 * refreshed in the background; only a token signed with a key id not seen yet (a rotation newer
 * than our copy) triggers a refresh, at most once per cooldown per tenant, so a flood of forged
 * key ids cannot hammer the auth service.
 *
 * Why per tenant: a JWKS listing every tenant's keys (the first design) named every tenant to
 * anyone who asked, since key ids start with the tenant (`<tenant>.<period>.<n>`). The auth
 * service now serves only `/v1/tenants/<tenant>/.well-known/jwks.json`, and a token's key id says
 * which of those to load. Tenants not seen before are loaded at most `newTenantLoadsPerSecond`
 * times a second (forged key ids naming made-up tenants), and at most `maxTenants` are kept.
 */
import { isTenantId } from '@parley/tenancy';
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';

/** Where one tenant's key set comes from: the auth service's per-tenant JWKS, or in-process. */
export type JwksSource = (tenant: string) => Promise<JSONWebKeySet>;

export interface JwksCacheOptions {
  source: JwksSource;
  /** Background refresh period. */
  refreshIntervalMs?: number;
  /** Least time between two refreshes of one tenant caused by unknown key ids. */
  unknownKeyCooldownMs?: number;
  /** First loads of tenants not seen before, per second (made-up tenants in forged key ids). */
  newTenantLoadsPerSecond?: number;
  /** Tenants whose keys are kept (least recently used go first). */
  maxTenants?: number;
  onRefreshError?: (error: unknown) => void;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

interface TenantKeys {
  local: LocalKeySet | undefined;
  kids: Set<string>;
  lastUnknownKeyRefreshAt: number;
  inFlight: Promise<void> | undefined;
}

/** The tenant a key id names (`<tenant>.<period>.<n>`), or undefined when it names none. */
export function tenantOfKeyId(kid: string | undefined): string | undefined {
  const tenant = kid?.split('.', 1)[0];
  return tenant && kid !== tenant && isTenantId(tenant) ? tenant : undefined;
}

export class JwksCache {
  readonly #options: Required<Omit<JwksCacheOptions, 'onRefreshError'>> &
    Pick<JwksCacheOptions, 'onRefreshError'>;
  readonly #tenants: LRUCache<string, TenantKeys>;
  #newTenantWindow = { startedAt: 0, loads: 0 };
  #timer: NodeJS.Timeout | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = {
      refreshIntervalMs: 5 * 60_000,
      unknownKeyCooldownMs: 10_000,
      newTenantLoadsPerSecond: 20,
      maxTenants: 10_000,
      ...options,
    };
    this.#tenants = new LRUCache({ max: this.#options.maxTenants });
  }

  /** Starts the background refresh of the tenants seen so far (none are loaded up front). */
  async start(): Promise<void> {
    this.#timer = setInterval(() => {
      for (const tenant of this.#tenants.keys()) {
        this.refresh(tenant).catch((error) => this.#options.onRefreshError?.(error));
      }
    }, this.#options.refreshIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The key ids held, of every tenant seen. */
  get keyIds(): string[] {
    return [...this.#tenants.values()].flatMap((entry) => [...entry.kids]);
  }

  /** Loads a tenant's key set now; concurrent callers share one load. */
  refresh(tenant: string): Promise<void> {
    let entry = this.#tenants.get(tenant);
    if (!entry) {
      entry = { local: undefined, kids: new Set(), lastUnknownKeyRefreshAt: 0, inFlight: undefined };
      this.#tenants.set(tenant, entry);
    }
    const held = entry;
    held.inFlight ??= (async () => {
      try {
        const jwks = await this.#options.source(tenant);
        held.local = createLocalJWKSet(jwks);
        held.kids = new Set(jwks.keys.map((key) => key.kid).filter((kid): kid is string => !!kid));
      } finally {
        held.inFlight = undefined;
      }
    })();
    return held.inFlight;
  }

  /** The key resolver jose's jwtVerify calls. */
  readonly getKey = async (header: JWSHeaderParameters, token: { payload: unknown; signature: unknown }) => {
    const kid = header.kid;
    const tenant = tenantOfKeyId(kid);
    if (!tenant || !kid) throw new joseErrors.JWKSNoMatchingKey();
    const entry = this.#tenants.get(tenant);
    if (!entry?.kids.has(kid) && this.#mayLoad(entry)) {
      // Only refreshes caused by unknown key ids are rate-limited: the first after a new key is published goes through.
      await this.refresh(tenant).catch((error) => this.#options.onRefreshError?.(error));
      const loaded = this.#tenants.get(tenant);
      if (loaded) loaded.lastUnknownKeyRefreshAt = Date.now();
    }
    const local = this.#tenants.get(tenant)?.local;
    if (!local) throw new joseErrors.JWKSNoMatchingKey();
    return local(header, token as Parameters<LocalKeySet>[1]);
  };

  #mayLoad(entry: TenantKeys | undefined): boolean {
    const now = Date.now();
    if (entry) return now - entry.lastUnknownKeyRefreshAt >= this.#options.unknownKeyCooldownMs;
    if (now - this.#newTenantWindow.startedAt >= 1_000) this.#newTenantWindow = { startedAt: now, loads: 0 };
    if (this.#newTenantWindow.loads >= this.#options.newTenantLoadsPerSecond) return false;
    this.#newTenantWindow.loads += 1;
    return true;
  }
}
