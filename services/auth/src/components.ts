/**
 * The auth service's object graph, built once from its settings and connections: used by main.ts
 * and by the test fixture (testing/auth-fixture.ts) alike, so both assemble exactly the same
 * service. Tenants for the work over every tenant come from the operator's registry
 * (TenantDirectory), never from the list of databases.
 */

import { type AuthClient, createAuthClient } from '@parley/auth-client';
import { GdprClient, GdprParticipation } from '@parley/compliance-client';
import { AddressPolicy } from '@parley/egress-guard';
import {
  type KeyEncryptionKeyConnection,
  type Keyring,
  type MasterKeyring,
  serviceKeyring,
} from '@parley/keyring';
import {
  type KafkaConnection,
  type Logger,
  type MongoConnection,
  type RedisConnection,
  readinessOf,
  ServiceCallers,
  type ServiceFoundation,
  TenantGate,
  worker,
} from '@parley/kit';
import { PLATFORM_DATABASE, TenantDirectory } from '@parley/tenancy';
import type { Db } from 'mongodb';
import { AccessTokenIssuer } from './domain/access-tokens.ts';
import { AccountPseudonyms } from './domain/account-pseudonyms.ts';
import { Accounts } from './domain/accounts.ts';
import { SecurityEvents } from './domain/audit-records.ts';
import { BruteForceGuard } from './domain/brute-force-guard.ts';
import { Invitations } from './domain/invitations.ts';
import { Login } from './domain/login.ts';
import { Mfa } from './domain/mfa.ts';
import { NewDeviceNotices } from './domain/new-device-notices.ts';
import { OidcProviders } from './domain/oidc-providers.ts';
import { OidcSignIn } from './domain/oidc-sign-in.ts';
import { OpenSignUp } from './domain/open-sign-up.ts';
import { PasswordHasher } from './domain/password-hasher.ts';
import { PasswordReset } from './domain/password-reset.ts';
import { PasswordResetThrottle } from './domain/password-reset-throttle.ts';
import { PersonalData } from './domain/personal-data.ts';
import { Reauthentication } from './domain/reauthentication.ts';
import { ScimGroups } from './domain/scim-groups.ts';
import { ScimTokens } from './domain/scim-tokens.ts';
import { ScimUsers } from './domain/scim-users.ts';
import { SecondFactor } from './domain/second-factor.ts';
import { Sessions } from './domain/sessions.ts';
import { SignUpThrottle } from './domain/sign-up-throttle.ts';
import { SigningKeys } from './domain/signing-keys.ts';
import { UserDeletion } from './domain/user-deletion.ts';
import { type AuthConfig, type AuthPolicy, policyFrom } from './settings.ts';
import { CredentialCache } from './store/credential-cache.ts';
import { SessionCache } from './store/session-cache.ts';
import { signingKeyCollection } from './store/signing-key-store.ts';
import { TenantStore } from './store/tenant-store.ts';
import { createGdprParticipation } from './workers/gdpr-participation.ts';
import { createOutboxRelay } from './workers/outbox-relay.ts';
import { SignUpSweeper } from './workers/sign-up-sweeper.ts';

export interface AuthClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
  /**
   * The broker, for the outbox relay and the GDPR participant. Tests of the HTTP API alone leave
   * it out, and the service then has no workers that need it.
   */
  kafka?: KafkaConnection;
  masterKeys: MasterKeyring;
  /** The key-encryption keys' store (KEK_MONGO_URL); tests leave it out (kept beside the keys). */
  keks?: KeyEncryptionKeyConnection;
  /** Where tenant keys, signing keys and the tenant registry live: parley_platform unless a test gives its own. */
  platformDb?: Db;
}

export interface AuthOverrides {
  /** The policy (settings' own by default; tests shorten TTLs and thresholds). */
  policy?: AuthPolicy;
  /** The password hasher, made from the policy unless a test gives one (e.g. one that counts). */
  hasher?: PasswordHasher;
  callers?: ServiceCallers | string;
}

export interface AuthComponents extends ServiceFoundation {
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
  /** Password reset by a mailed link, alike for every address. */
  passwordReset: PasswordReset;
  secondFactor: SecondFactor;
  /** The tenant's OpenID provider settings (client secret sealed). */
  oidcProviders: OidcProviders;
  /** Single sign-on through that provider (code flow with PKCE). */
  oidcSignIn: OidcSignIn;
  /** SCIM bearer tokens per tenant (hashed). */
  scimTokens: ScimTokens;
  /** SCIM 2.0 Users over the tenant's users. */
  scimUsers: ScimUsers;
  /** SCIM 2.0 Groups of the tenant's users. */
  scimGroups: ScimGroups;
  hasher: PasswordHasher;
  /** GDPR export and erasure of what auth holds about a person (also user deletion). */
  personalData: PersonalData;
  /** User deletion and GDPR erasure, refused under a legal hold. */
  deletion: UserDeletion;
  /** Refuses suspended, provisioning and unknown tenants (kit's default policy over the operator's runtime record). */
  tenantGate: TenantGate;
  /** The same verifier the gateway uses, fed from this process's own key store. */
  authClient: AuthClient;
  keyring: Keyring;
  /** Which tenants exist (the operator's registry), for the relay and the sweeper. */
  tenants: TenantDirectory;
  /** Purges expired open sign-up requests (also a worker). */
  signUpSweeper: SignUpSweeper;
}

export async function createComponents(
  settings: AuthConfig,
  clients: AuthClients,
  overrides: AuthOverrides = {},
): Promise<AuthComponents> {
  const { logger, kafka } = clients;
  const mongo = clients.mongo.client;
  const redis = clients.redis.client;
  const policy = overrides.policy ?? policyFrom(settings);
  const platformDb = clients.platformDb ?? mongo.db(PLATFORM_DATABASE);
  const keyring = await serviceKeyring('auth', settings, { ...clients, platformDb });
  const store = new TenantStore(mongo);
  const signingKeys = new SigningKeys({
    collection: await signingKeyCollection(platformDb),
    keyring,
    periodSeconds: policy.signingKeyPeriodSeconds,
    accessTokenTtlSeconds: policy.accessTokenTtlSeconds,
    clockToleranceSeconds: policy.clockToleranceSeconds,
  });
  const hasher =
    overrides.hasher ?? new PasswordHasher(policy.argon2, { concurrency: policy.hashingConcurrency });
  const guard = new BruteForceGuard(redis, policy.lockout);
  const tokens = new AccessTokenIssuer(signingKeys, {
    issuer: policy.issuer,
    audience: policy.audience,
    ttlSeconds: policy.accessTokenTtlSeconds,
  });
  // Personal fields of security events are sealed under each person's key before the outbox.
  const events = new SecurityEvents(keyring);
  const sessions = new Sessions(
    store,
    new SessionCache(redis),
    tokens,
    policy,
    redis,
    events,
    new NewDeviceNotices(keyring),
  );
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
  const tenants = new TenantDirectory(platformDb);
  const deletion = new UserDeletion(mongo, personalData, events);
  const oidcProviders = new OidcProviders(keyring, events, {
    allowHttpIssuers: policy.oidc.allowHttpIssuers,
    // Throws at start on a setting that is not a list of CIDRs.
    addresses: AddressPolicy.parse(policy.oidc.issuerAllowedNetworks),
  });
  // Expired open sign-up requests (password hashes of links never followed) are purged.
  const signUpSweeper = new SignUpSweeper({
    store,
    shredder: keyring,
    tenants: () => tenants.served(),
    intervalMs: settings.SIGN_UP_SWEEP_INTERVAL_MS,
    logger,
  });
  const components: AuthComponents = {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    readiness: kafka
      ? readinessOf(clients.mongo, clients.redis, kafka)
      : readinessOf(clients.mongo, clients.redis),
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    keyring,
    tenants,
    signUpSweeper,
    workers: [],
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
    passwordReset: new PasswordReset({
      accounts,
      events,
      sealer: keyring,
      throttle: new PasswordResetThrottle(redis, policy.passwordResetLimits),
      ttlSeconds: policy.passwordResetTtlSeconds,
    }),
    invitations: new Invitations(policy.invitationTtlSeconds, events, keyring),
    personalData,
    deletion,
    secondFactor,
    oidcProviders,
    oidcSignIn: new OidcSignIn({
      providers: oidcProviders,
      accounts,
      sessions,
      events,
      redis,
      stateTtlSeconds: policy.oidc.stateTtlSeconds,
    }),
    scimTokens: new ScimTokens(events),
    scimUsers: new ScimUsers(accounts, deletion),
    scimGroups: new ScimGroups(),
    hasher,
    tenantGate: new TenantGate(redis),
    authClient,
  };
  // Stopped in this order: the GDPR participant (its in-flight requests), the sweeper, the
  // relay's last flush, then the key-set refresher the routes used.
  components.workers = [
    ...(kafka
      ? [
          // Registers with the compliance service, then answers export and erasure requests on
          // every tenant's gdpr topic (consumer group auth.gdpr), retrying while compliance is away.
          new GdprParticipation(
            createGdprParticipation({
              components,
              kafka: kafka.kafka,
              producer: kafka.producer,
              client: new GdprClient({
                baseUrl: settings.COMPLIANCE_URL,
                serviceToken: settings.SERVICE_TOKEN,
              }),
              logger,
              refreshMs: settings.GDPR_TOPIC_REFRESH_MS,
            }),
            logger,
          ),
        ]
      : []),
    signUpSweeper,
    ...(kafka
      ? [
          worker(
            'outbox-relay',
            createOutboxRelay({
              producer: kafka.producer,
              store,
              logger,
              intervalMs: settings.OUTBOX_INTERVAL_MS,
              tenants: () => tenants.served(),
            }),
          ),
        ]
      : []),
    worker('auth-client', authClient),
  ];
  return components;
}
