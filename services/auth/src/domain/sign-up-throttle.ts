/**
 * Caps open sign-up per e-mail address and per source address with the brute-force guard's
 * counters and growing lockouts (its own scope, so sign-ups never lock anyone's logins). Every
 * acceptable request counts, whether or not the address has an account, and the check comes before
 * anything looks the address up: a 429 therefore says only "this address (or network) asked too
 * often", alike for every address. What it bounds: how often auth writes to one mailbox (each
 * request asks a notifier for a message), the argon2id work one source can make auth do, and how
 * fast anyone can fill `sign_ups`.
 */

import type { Redis } from 'ioredis';
import type { RequestContext } from './audit-records.ts';
import { accountKey, BruteForceGuard, type LockoutPolicy } from './brute-force-guard.ts';

export const SIGN_UP_GUARD_SCOPE = {
  keyPart: 'sign-up',
  refusal: 'Too many sign-up requests for this address or from this network; try again later',
};

export class SignUpThrottle {
  readonly #guard: BruteForceGuard;

  /** `accountThreshold`: requests per e-mail address; `addressThreshold`: per source address. */
  constructor(redis: Redis, policy: LockoutPolicy) {
    this.#guard = new BruteForceGuard(redis, policy, SIGN_UP_GUARD_SCOPE);
  }

  /** Throws 429 (with Retry-After) while either is locked; otherwise counts this request. */
  async admit(tenant: string, emailKey: string, context: RequestContext): Promise<void> {
    const attempt = {
      tenant,
      account: accountKey(emailKey),
      ...(context.ip ? { ip: context.ip } : {}),
    };
    // Reserving checks and takes the place atomically (concurrent requests cannot all pass a
    // check made before any of them was counted); the request is then counted at once.
    await this.#guard.fail(await this.#guard.reserve(attempt));
  }
}
