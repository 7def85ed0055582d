/**
 * Re-authentication for sensitive changes (turning MFA off, new recovery codes, a new password):
 * the password again and, when MFA is on, a second factor. Failures count against the same
 * brute-force keys as login, so a stolen access token cannot be used to guess the password.
 */
import { ProblemError } from '@parley/kit';
import type { TenantCollections, UserDocument } from '../store/tenant-store.ts';
import type { RequestContext } from './audit-records.ts';
import { type Attempt, accountKey, type BruteForceGuard } from './brute-force-guard.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { SecondFactor, SecondFactorAnswer } from './second-factor.ts';

const failed = () =>
  new ProblemError(
    401,
    'reauthentication-failed',
    'Re-authentication failed',
    'The password or code is wrong',
  );

export class Reauthentication {
  readonly #hasher: PasswordHasher;
  readonly #guard: BruteForceGuard;
  readonly #secondFactor: SecondFactor;

  constructor(hasher: PasswordHasher, guard: BruteForceGuard, secondFactor: SecondFactor) {
    this.#hasher = hasher;
    this.#guard = guard;
    this.#secondFactor = secondFactor;
  }

  async require(
    c: TenantCollections,
    user: UserDocument,
    proof: { password: string } & Partial<{ code: string; recoveryCode: string }>,
    context: RequestContext,
  ): Promise<void> {
    const attempt: Attempt = {
      tenant: c.tenant,
      account: accountKey(user.emailKey),
      ...(context.ip ? { ip: context.ip } : {}),
    };
    // Reserved before the hash, as a login's guess is: a burst of re-authentications with a stolen
    // access token evaluates no more guesses than the lockout allows.
    const reservation = await this.#guard.reserve(attempt);
    await this.#guard.guarded(reservation, async (settle) => {
      let ok = await this.#hasher.verify(user.passwordHash, proof.password);
      if (ok && user.totp) {
        const answer: SecondFactorAnswer | undefined =
          proof.code !== undefined
            ? { code: proof.code }
            : proof.recoveryCode !== undefined
              ? { recoveryCode: proof.recoveryCode }
              : undefined;
        ok = answer ? (await this.#secondFactor.verify(c, user, answer, context)) !== undefined : false;
      }
      if (!ok) {
        await settle.fail();
        throw failed();
      }
      await settle.succeed({ clearHistory: true });
    });
  }
}
