/**
 * The signing keys, held in memory. Verification never waits on the network while the key id is
 * known: keys are loaded at start and refreshed in the background; only a token signed with a
 * key id not seen yet (a rotation newer than our copy) triggers a refresh, at most once per
 * cooldown so a flood of forged key ids cannot hammer the auth service.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

/** Where the key set comes from: the auth service's /.well-known/jwks.json, or in-process. */
export type JwksSource = () => Promise<JSONWebKeySet>;

export interface JwksCacheOptions {
  source: JwksSource;
  /** Background refresh period. */
  refreshIntervalMs?: number;
  /** Least time between two refreshes caused by unknown key ids. */
  unknownKeyCooldownMs?: number;
  onRefreshError?: (error: unknown) => void;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class JwksCache {
  readonly #options: Required<Omit<JwksCacheOptions, 'onRefreshError'>> &
    Pick<JwksCacheOptions, 'onRefreshError'>;
  #local: LocalKeySet | undefined;
  #kids = new Set<string>();
  #lastUnknownKeyRefreshAt = 0;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = { refreshIntervalMs: 5 * 60_000, unknownKeyCooldownMs: 10_000, ...options };
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((error) => this.#options.onRefreshError?.(error));
    }, this.#options.refreshIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get keyIds(): string[] {
    return [...this.#kids];
  }

  /** Loads the key set now; concurrent callers share one load. */
  refresh(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        const jwks = await this.#options.source();
        this.#local = createLocalJWKSet(jwks);
        this.#kids = new Set(jwks.keys.map((key) => key.kid).filter((kid): kid is string => !!kid));
      } finally {
        this.#inFlight = undefined;
      }
    })();
    return this.#inFlight;
  }

  /** The key resolver jose's jwtVerify calls. */
  readonly getKey = async (header: JWSHeaderParameters, token: { payload: unknown; signature: unknown }) => {
    const kid = header.kid;
    const cooledDown = Date.now() - this.#lastUnknownKeyRefreshAt >= this.#options.unknownKeyCooldownMs;
    if ((!this.#local || (kid && !this.#kids.has(kid))) && cooledDown) {
      // Only refreshes caused by unknown key ids are rate-limited: the first after a new key is published goes through.
      this.#lastUnknownKeyRefreshAt = Date.now();
      await this.refresh().catch((error) => this.#options.onRefreshError?.(error));
    }
    if (!this.#local) throw new Error('no signing keys loaded');
    return this.#local(header, token as Parameters<LocalKeySet>[1]);
  };
}
