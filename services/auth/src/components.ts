/**
 * Builds the auth service's parts from its connections and policy, in one place, so main.ts and
 * the tests assemble exactly the same service.
 */
import { type AuthClient, createAuthClient } from '@parley/auth-client';
import type { Keyring } from '@parley/keyring';
import type { Logger } from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import type { Db, MongoClient } from 'mongodb';
import { AccessTokenIssuer } from './domain/access-tokens.ts';
import { AccountPseudonyms } from './domain/account-pseudonyms.ts';
import { Accounts } from './domain/accounts.ts';
import { SecurityEvents } from './domain/audit-records.ts';
import { BruteForceGuard } from './domain/brute-force-guard.ts';
import { Invitations } from './domain/invitations.ts';
import { Login } from './domain/login.ts';
import { Mfa } from './domain/mfa.ts';
import { OpenSignUp } from './domain/open-sign-up.ts';
import { PasswordHasher } from './domain/password-hasher.ts';
import { PersonalData } from './domain/personal-data.ts';
import { Reauthentication } from './domain/reauthentication.ts';
import { SecondFactor } from './domain/second-factor.ts';
import { Sessions } from './domain/sessions.ts';
import { SignUpThrottle } from './domain/sign-up-throttle.ts';
import { SigningKeys } from './domain/signing-keys.ts';
import { UserDeletion } from './domain/user-deletion.ts';
import type { AuthPolicy } from './settings.ts';
import { CredentialCache } from './store/credential-cache.ts';
import { SessionCache } from './store/session-cache.ts';
import { signingKeyCollection } from './store/signing-key-store.ts';
import { TenantGate } from './store/tenant-gate.ts';
import { TenantStore } from './store/tenant-store.ts';

export interface AuthComponents {
  policy: AuthPolicy;
  store: TenantStore;
  signingKeys: SigningKeys;
  sessions: Sessions;
  login: Login;
  mfa: Mfa;
  accounts: Accounts;
  invitations: Invitations;
  /** Open sign-up (where a tenant allows it) that never tells whether an address has an account. */
  signUp: OpenSignUp;
  secondFactor: SecondFactor;
  hasher: PasswordHasher;
  /** GDPR export and erasure of what auth holds about a person (also user deletion). */
  personalData: PersonalData;
  /** User deletion and GDPR erasure, refused under a legal hold. */
  deletion: UserDeletion;
  /** Refuses suspended and unknown tenants (the operator's runtime record). */
  tenantGate: TenantGate;
  /** The same verifier the gateway uses, fed from this process's own key store. */
  authClient: AuthClient;
}

export async function createAuthComponents(options: {
  mongo: MongoClient;
  redis: Redis;
  keyring: Keyring;
  policy: AuthPolicy;
  logger: Logger;
  /** Where signing keys live: `parley_platform` unless a test gives a database of its own. */
  platformDb?: Db;
  /** The password hasher, made from the policy unless a test gives one (e.g. one that counts). */
  hasher?: PasswordHasher;
}): Promise<AuthComponents> {
  const { mongo, redis, keyring, policy, logger } = options;
  const platformDb = options.platformDb ?? mongo.db(PLATFORM_DATABASE);
  const store = new TenantStore(mongo);
  const signingKeys = new SigningKeys({
    collection: await signingKeyCollection(platformDb),
    keyring,
    periodSeconds: policy.signingKeyPeriodSeconds,
    accessTokenTtlSeconds: policy.accessTokenTtlSeconds,
    clockToleranceSeconds: policy.clockToleranceSeconds,
  });
  const hasher =
    options.hasher ?? new PasswordHasher(policy.argon2, { concurrency: policy.hashingConcurrency });
  const guard = new BruteForceGuard(redis, policy.lockout);
  const tokens = new AccessTokenIssuer(signingKeys, {
    issuer: policy.issuer,
    audience: policy.audience,
    ttlSeconds: policy.accessTokenTtlSeconds,
  });
  // Personal fields of security events are sealed under each person's key before the outbox.
  const events = new SecurityEvents(keyring);
  const sessions = new Sessions(store, new SessionCache(redis), tokens, policy, redis, events);
  const secondFactor = new SecondFactor(keyring, redis, events);
  const credentials = new CredentialCache(redis);
  const reauthentication = new Reauthentication(hasher, guard, secondFactor);
  const personalData = new PersonalData(sessions, credentials, events, keyring);
  const accounts = new Accounts(hasher, sessions, reauthentication, credentials, events);
  const authClient = createAuthClient({
    jwks: (tenant) => signingKeys.tenantJwks(tenant),
    redis,
    issuer: policy.issuer,
    audience: policy.audience,
    clockToleranceSeconds: policy.clockToleranceSeconds,
    onError: (error) => logger.warn({ err: error }, 'auth-client background refresh failed'),
  });
  return {
    policy,
    store,
    signingKeys,
    sessions,
    login: new Login({
      store,
      redis,
      hasher,
      guard,
      sessions,
      secondFactor,
      challengeTtlSeconds: policy.mfaChallengeTtlSeconds,
      credentials,
      events,
      pseudonyms: new AccountPseudonyms(keyring),
    }),
    mfa: new Mfa(secondFactor, reauthentication, credentials, events),
    accounts,
    signUp: new OpenSignUp({
      hasher,
      accounts,
      sealer: keyring,
      throttle: new SignUpThrottle(redis, policy.signUpLimits),
      ttlSeconds: policy.signUpLinkTtlSeconds,
    }),
    invitations: new Invitations(policy.invitationTtlSeconds, events, keyring),
    personalData,
    deletion: new UserDeletion(mongo, personalData, events),
    secondFactor,
    hasher,
    tenantGate: new TenantGate(redis),
    authClient,
  };
}
