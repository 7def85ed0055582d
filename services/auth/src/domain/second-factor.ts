/**
 * Checks a second factor: a TOTP code (refused if its time step, or a later one, was accepted
 * before: replay) or a recovery code (consumed by the same write that accepts it, so it works
 * once). TOTP secrets are stored sealed by the tenant's key in the keyring, bound to the user id.
 */
import { TOTP_SECRET_PURPOSE } from '@parley/contracts';
import type { Keyring } from '@parley/keyring';
import { outboxPush } from '@parley/outbox';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { withRedisLock } from '../store/redis-mutex.ts';
import type { TenantCollections, UserDocument } from '../store/tenant-store.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import { hashRecoveryCode } from './recovery-codes.ts';
import { checkTotp } from './totp.ts';

/** Declared, with the fields it seals, in @parley/contracts' ENCRYPTED_FIELDS (background rewrap). */
export { TOTP_SECRET_PURPOSE };

export type SecondFactorAnswer = { code: string } | { recoveryCode: string };
export type SecondFactorMethod = 'otp' | 'recovery-code';

export class SecondFactor {
  readonly #keyring: Keyring;
  readonly #redis: Redis;
  readonly #events: SecurityEvents;

  constructor(keyring: Keyring, redis: Redis, events: SecurityEvents) {
    this.#events = events;
    this.#keyring = keyring;
    this.#redis = redis;
  }

  async seal(tenant: string, userId: string, secret: string): Promise<string> {
    await this.#keyring.ensureTenantKey(tenant);
    const sealed = await this.#keyring.encrypt(tenant, TOTP_SECRET_PURPOSE, Buffer.from(secret), {
      aad: Buffer.from(userId),
    });
    return sealed.toString('base64');
  }

  async open(tenant: string, userId: string, sealed: string): Promise<string> {
    const plain = await this.#keyring.decrypt(tenant, TOTP_SECRET_PURPOSE, Buffer.from(sealed, 'base64'), {
      aad: Buffer.from(userId),
    });
    return plain.toString();
  }

  /** The method that matched, or undefined for a wrong, replayed or used code. */
  verify(
    c: TenantCollections,
    user: UserDocument,
    answer: SecondFactorAnswer,
    context: RequestContext,
  ): Promise<SecondFactorMethod | undefined> {
    // One check at a time per user, reading the user afresh inside: a code is taken exactly once.
    return withRedisLock(this.#redis, redisKey(c.tenant, 'auth', 'lock', 'user', user._id), async () => {
      const fresh = await c.users.findOne({ _id: user._id });
      return fresh ? this.#verifyLocked(c, fresh, answer, context) : undefined;
    });
  }

  async #verifyLocked(
    c: TenantCollections,
    user: UserDocument,
    answer: SecondFactorAnswer,
    context: RequestContext,
  ): Promise<SecondFactorMethod | undefined> {
    if ('code' in answer) {
      if (!user.totp) return undefined;
      const secret = await this.open(c.tenant, user._id, user.totp.sealedSecret);
      const check = await checkTotp(secret, answer.code, user.totp.lastTimeStep);
      if (!check.valid) return undefined;
      // Conditional on the step: of two concurrent uses of one code, one wins.
      const accepted = await c.users.updateOne(
        { _id: user._id, 'totp.lastTimeStep': { $lt: check.timeStep } },
        { $set: { 'totp.lastTimeStep': check.timeStep } },
      );
      return accepted.modifiedCount === 1 ? 'otp' : undefined;
    }
    const hash = hashRecoveryCode(user._id, answer.recoveryCode);
    const used = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.recovery-code-used',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'user', id: user._id },
      context,
      metadata: { remaining: Math.max(0, (user.recoveryCodeHashes?.length ?? 1) - 1) },
    });
    const consumed = await c.users.updateOne(
      { _id: user._id, recoveryCodeHashes: hash },
      outboxPush([used], { $pull: { recoveryCodeHashes: hash } }),
    );
    return consumed.modifiedCount === 1 ? 'recovery-code' : undefined;
  }
}
