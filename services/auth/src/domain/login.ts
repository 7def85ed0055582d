/**
 * Login: the password step, then (when the user has MFA) a challenge answered with a TOTP code
 * or a recovery code. An unknown account, a deleted or suspended one and a wrong password get
 * the same 401 after the same argon2id work; every failure counts against the account and the
 * source address. In a tenant that requires single sign-on every refused password sign-in is
 * the same 403 `sso-required`, and only its break-glass admins get through. Each guess is reserved in Redis before any hashing (brute-force-guard.ts), so a
 * burst sent at once evaluates no more guesses than the lockout allows.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TokenPair } from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import { CredentialCache } from '../store/credential-cache.ts';
import type { TenantStore } from '../store/tenant-store.ts';
import { normaliseEmail, type TenantCollections } from '../store/tenant-store.ts';
import type { AccountPseudonyms } from './account-pseudonyms.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import { type Attempt, accountKey, type BruteForceGuard, type Settle } from './brute-force-guard.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { SecondFactor, SecondFactorAnswer } from './second-factor.ts';
import { recordSecurityEvents } from './security-log.ts';
import type { Sessions } from './sessions.ts';

export interface MfaChallenge {
  mfaRequired: true;
  challenge: string;
  methods: ('totp' | 'recovery-code')[];
  expiresIn: number;
}

const MAX_CHALLENGE_FAILURES = 5;

/** The data subject (and keyring key `subject:unknown-accounts`) of failures for addresses without an account. */
export const UNKNOWN_ACCOUNTS_SUBJECT = 'unknown-accounts';

export const invalidCredentials = () =>
  new ProblemError(401, 'invalid-credentials', 'Invalid credentials', 'The e-mail or password is wrong');

/** A password sign-in in a tenant that requires single sign-on (settings' requireSso). */
export const ssoRequired = () =>
  new ProblemError(
    403,
    'sso-required',
    'Single sign-on required',
    'This organisation signs in through its identity provider: use single sign-on',
  );

const invalidSecondFactor = () =>
  new ProblemError(
    401,
    'invalid-second-factor',
    'Invalid second factor',
    'The code is wrong, used or expired',
  );

export interface LoginDependencies {
  store: TenantStore;
  redis: Redis;
  hasher: PasswordHasher;
  guard: BruteForceGuard;
  sessions: Sessions;
  secondFactor: SecondFactor;
  challengeTtlSeconds: number;
  credentials: CredentialCache;
  events: SecurityEvents;
  pseudonyms: AccountPseudonyms;
}

export class Login {
  readonly #deps: LoginDependencies;
  readonly #events: SecurityEvents;

  constructor(deps: LoginDependencies) {
    this.#deps = deps;
    this.#events = deps.events;
  }

  async withPassword(
    tenant: string,
    email: string,
    password: string,
    context: RequestContext,
  ): Promise<TokenPair | MfaChallenge> {
    const { store, hasher, guard, credentials } = this.#deps;
    const emailKey = normaliseEmail(email);
    const attempt: Attempt = {
      tenant,
      account: accountKey(emailKey),
      ...(context.ip ? { ip: context.ip } : {}),
    };
    // The guess is reserved before any hashing (a locked or fully busy account or address gets 429
    // here), reading the credential's version along: one round trip to Redis.
    const opening = store.forTenant(tenant);
    opening.catch(() => {}); // awaited below; a refused reservation must not leave it unhandled
    const reservation = await guard.reserve(attempt, credentials.versionKey(tenant, emailKey));
    return guard.guarded(reservation, async (settle) => {
      const c = await opening;
      // Whether the tenant requires single sign-on, read alongside the credential.
      const ssoPolicy = c.ssoProviders.findOne(
        { _id: 'oidc' },
        { projection: { requireSso: 1, breakGlassUserIds: 1 } },
      );
      ssoPolicy.catch(() => {}); // awaited below
      const user = await credentials.get(c, emailKey, CredentialCache.versionOf(reservation.readAlong));
      const known = user && user.status !== 'deleted';
      // An account without a password (single sign-on, SCIM) spends the same decoy work as an
      // unknown address, so timing does not tell which accounts have one.
      const passwordOk =
        known && user.passwordHash
          ? await hasher.verify(user.passwordHash, password)
          : await hasher.verifyDecoy(password);
      const sso = await ssoPolicy;
      if (
        sso?.requireSso === true &&
        !(known && passwordOk && user.status === 'active' && sso.breakGlassUserIds?.includes(user._id))
      ) {
        // One answer for every refusal in such a tenant (a wrong password, an unknown address, a
        // right password of anyone but a break-glass admin): it tells neither who has an
        // account, nor whose password was right, nor who the break-glass admins are.
        await this.#fail(
          c,
          settle,
          context,
          known ? user : { emailKey },
          !passwordOk ? 'bad-password' : user?.status !== 'active' ? 'inactive' : 'sso-required',
        );
        throw ssoRequired();
      }
      if (!known || !passwordOk || user.status !== 'active') {
        await this.#fail(
          c,
          settle,
          context,
          known ? user : { emailKey },
          !passwordOk ? 'bad-password' : 'inactive',
        );
        throw invalidCredentials();
      }
      // With MFA the failure count is cleared only once the second factor is right too: otherwise
      // each correct password would reset the count and TOTP codes could be guessed without end.
      // Refused (429) when a lockout fell while this guess was being evaluated.
      await settle.succeed({ clearHistory: !user.mfa });
      if (hasher.needsRehash(user.passwordHash)) {
        // Upgrade to the current parameters now that the password is at hand; lose no race.
        const upgraded = await hasher.hash(password);
        await credentials.changing(tenant, emailKey, () =>
          c.users.updateOne(
            { _id: user._id, passwordHash: user.passwordHash },
            { $set: { passwordHash: upgraded, updatedAt: new Date() } },
          ),
        );
      }
      if (user.mfa) return this.#challenge(tenant, user._id, attempt.account);
      return this.#deps.sessions.open(c, user, ['pwd'], context);
    });
  }

  async withSecondFactor(
    tenant: string,
    challenge: string,
    answer: SecondFactorAnswer,
    context: RequestContext,
  ): Promise<TokenPair> {
    const { store, redis, guard } = this.#deps;
    const key = redisKey(
      tenant,
      'auth',
      'mfa-challenge',
      createHash('sha256').update(challenge).digest('hex'),
    );
    const pending = await redis.hgetall(key);
    if (!pending.userId || !pending.account) throw invalidSecondFactor();
    const attempt: Attempt = { tenant, account: pending.account, ...(context.ip ? { ip: context.ip } : {}) };
    const reservation = await guard.reserve(attempt);
    return guard.guarded(reservation, async (settle) => {
      const c = await store.forTenant(tenant);
      const user = await c.users.findOne({ _id: pending.userId, status: 'active' });
      const method = user ? await this.#deps.secondFactor.verify(c, user, answer, context) : undefined;
      if (!user || !method) {
        const failures = await redis.hincrby(key, 'failures', 1);
        if (failures >= MAX_CHALLENGE_FAILURES) await redis.del(key);
        await this.#fail(
          c,
          settle,
          context,
          // The challenge was made for an account: the user is known even if since deleted.
          user ?? { _id: pending.userId as string },
          'bad-second-factor',
          'auth.security.mfa-challenge-failed',
        );
        throw invalidSecondFactor();
      }
      // One challenge, one session: of two concurrent correct answers only one deletes it.
      if ((await redis.del(key)) !== 1) throw invalidSecondFactor();
      await settle.succeed({ clearHistory: true });
      const amr = method === 'otp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'mfa'];
      return this.#deps.sessions.open(c, user, amr, context);
    });
  }

  async #challenge(tenant: string, userId: string, account: string): Promise<MfaChallenge> {
    const challenge = randomBytes(32).toString('base64url');
    const key = redisKey(
      tenant,
      'auth',
      'mfa-challenge',
      createHash('sha256').update(challenge).digest('hex'),
    );
    const ttl = this.#deps.challengeTtlSeconds;
    await this.#deps.redis.multi().hset(key, { userId, account, failures: 0 }).expire(key, ttl).exec();
    return { mfaRequired: true, challenge, methods: ['totp', 'recovery-code'], expiresIn: ttl };
  }

  async #fail(
    c: TenantCollections,
    settle: Settle,
    context: RequestContext,
    /** The account's user, or for an address without one its normalised address. */
    who: { _id: string } | { emailKey: string },
    reason: string,
    action:
      | 'auth.security.login-failed'
      | 'auth.security.mfa-challenge-failed' = 'auth.security.login-failed',
  ): Promise<void> {
    const lockout = await settle.fail();
    const user = '_id' in who ? who : undefined;
    // Whose key seals the address and user agent: the user's own, or for an address without an
    // account one tenant-wide key (UNKNOWN_ACCOUNTS_SUBJECT). A key per unknown address (the
    // first design) was made on the first failure for each new address, three database
    // operations that an address with an account skipped: measured, probing an unknown address
    // took ~10 ms longer (auth-login-wrong-password-vs-unknown-address).
    const subject = user?._id ?? UNKNOWN_ACCOUNTS_SUBJECT;
    // Nothing derived from the address goes in the clear: a user is named by their id (which their
    // erasure turns into a tombstone); an address without an account by a keyed pseudonym
    // (account-pseudonyms.ts), never the unsalted hash it used to be.
    const pseudonym = user
      ? undefined
      : await this.#deps.pseudonyms.of(c, (who as { emailKey: string }).emailKey);
    const account: Record<string, string> = pseudonym ? { account: pseudonym } : {};
    const events = [
      await this.#events.create({
        tenant: c.tenant,
        action,
        outcome: 'failure',
        actor: user ? { type: 'user', id: user._id } : { type: 'anonymous', id: `account.${pseudonym}` },
        resource: { type: 'user', ...(user ? { id: user._id } : {}) },
        subject,
        context,
        metadata: { reason, ...account },
      }),
    ];
    if (lockout.accountLockedForSeconds > 0 || lockout.addressLockedForSeconds > 0) {
      events.push(
        await this.#events.create({
          tenant: c.tenant,
          action: 'auth.security.account-locked',
          outcome: 'denied',
          actor: { type: 'system', id: 'auth' },
          resource: { type: 'user', ...(user ? { id: user._id } : {}) },
          subject,
          context,
          metadata: {
            ...account,
            accountLockedForSeconds: lockout.accountLockedForSeconds,
            addressLockedForSeconds: lockout.addressLockedForSeconds,
          },
        }),
      );
    }
    await recordSecurityEvents(c, events);
  }
}
