/**
 * Caps password-reset requests per e-mail address and per source address, as sign-up's throttle
 * does (sign-up-throttle.ts) under a scope of its own: every request counts, with or without an
 * account behind the address, and the check comes before the lookup, so a 429 says nothing about
 * accounts. It bounds how often one mailbox is written to and how fast anyone can probe.
 */
import type { Redis } from 'ioredis';
import type { RequestContext } from './audit-records.ts';
import { accountKey, BruteForceGuard, type LockoutPolicy } from './brute-force-guard.ts';

export const PASSWORD_RESET_GUARD_SCOPE = {
  keyPart: 'password-reset',
  refusal: 'Too many password reset requests for this address or from this network; try again later',
};

export class PasswordResetThrottle {
  readonly #guard: BruteForceGuard;

  /** `accountThreshold`: requests per e-mail address; `addressThreshold`: per source address. */
  constructor(redis: Redis, policy: LockoutPolicy) {
    this.#guard = new BruteForceGuard(redis, policy, PASSWORD_RESET_GUARD_SCOPE);
  }

  /** Throws 429 (with Retry-After) while either is locked; otherwise counts this request. */
  async admit(tenant: string, emailKey: string, context: RequestContext): Promise<void> {
    const attempt = { tenant, account: accountKey(emailKey), ...(context.ip ? { ip: context.ip } : {}) };
    await this.#guard.fail(await this.#guard.reserve(attempt));
  }
}
