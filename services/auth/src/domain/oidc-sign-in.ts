/**
 * Signing in through the tenant's OpenID provider: authorization code flow with PKCE (S256),
 * state and nonce, through openid-client (which checks the id token's signature against the
 * provider's JWKS, its issuer, audience, expiry and nonce, and RFC 9207's `iss` where the provider
 * sends it).
 *
 * `start` keeps what the callback must check (PKCE verifier, nonce, redirect URI, the issuer it
 * was started for) in Redis under the tenant's prefix, keyed by a hash of the state, for
 * OIDC_STATE_TTL_SECONDS; the callback takes it with GETDEL, so a state works once and only in
 * the tenant that made it. The person is the user already linked to the provider's subject, else
 * the user with the same address (linked now), else a new member (created just in time). Only an
 * address the provider says it verified, in a domain the tenant allows, is believed: otherwise
 * anyone able to register `ceo@tenant.example` at the provider would become that person.
 * Where the tenant maps the provider's groups to roles, each sign-in sets the roles from them.
 */
import { createHash } from 'node:crypto';
import { ROLES, type Role, type SsoCallbackRequest, type TokenPair } from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import { outboxPush } from '@parley/outbox';
import { redisKey } from '@parley/tenancy';
import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import {
  normaliseEmail,
  type SsoProviderDocument,
  type TenantCollections,
  type UserDocument,
} from '../store/tenant-store.ts';
import type { Accounts } from './accounts.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import { DEFAULT_GROUPS_CLAIM, type OidcProviders } from './oidc-providers.ts';
import { recordSecurityEvents } from './security-log.ts';
import type { Sessions } from './sessions.ts';

/** No RFC 8176 value names a federated sign-in; the provider's own `amr` is not taken on trust. */
export const OIDC_AMR = ['oidc'];

interface PendingSignIn {
  issuer: string;
  redirectUri: string;
  codeVerifier: string;
  nonce: string;
}

export interface OidcSignInDependencies {
  providers: OidcProviders;
  accounts: Accounts;
  sessions: Sessions;
  events: SecurityEvents;
  redis: Redis;
  stateTtlSeconds: number;
}

const refused = (status: number, type: string, title: string, detail: string) =>
  new ProblemError(status, type, title, detail);

export class OidcSignIn {
  readonly #deps: OidcSignInDependencies;

  constructor(deps: OidcSignInDependencies) {
    this.#deps = deps;
  }

  async start(
    c: TenantCollections,
    redirectUri: string,
  ): Promise<{ authorizationUrl: string; expiresIn: number }> {
    const { settings, client } = await this.#deps.providers.configuration(c);
    if (!settings.redirectUris.includes(redirectUri)) {
      // Otherwise a crafted link would have the provider hand the code to an address of the attacker's.
      throw refused(
        400,
        'redirect-uri-not-allowed',
        'Redirect URI not allowed',
        'The tenant did not register this redirect URI',
      );
    }
    const state = oidc.randomState();
    const pending: PendingSignIn = {
      issuer: settings.issuer,
      redirectUri,
      codeVerifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
    };
    const ttl = this.#deps.stateTtlSeconds;
    await this.#deps.redis.set(this.#stateKey(c.tenant, state), JSON.stringify(pending), 'EX', ttl);
    const url = oidc.buildAuthorizationUrl(client, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce: pending.nonce,
    });
    return { authorizationUrl: url.href, expiresIn: ttl };
  }

  async callback(
    c: TenantCollections,
    answer: SsoCallbackRequest,
    context: RequestContext,
  ): Promise<TokenPair> {
    const raw = await this.#deps.redis.getdel(this.#stateKey(c.tenant, answer.state));
    if (!raw) {
      await this.#failed(c, context, 'unknown-state');
      throw refused(400, 'sso-state-invalid', 'Sign-in expired or unknown', 'Start the sign-in again');
    }
    const pending = JSON.parse(raw) as PendingSignIn;
    const { settings, client } = await this.#deps.providers.configuration(c);
    if (settings.issuer !== pending.issuer) {
      await this.#failed(c, context, 'provider-changed');
      throw refused(400, 'sso-state-invalid', 'Sign-in expired or unknown', 'Start the sign-in again');
    }
    const current = new URL(pending.redirectUri);
    current.searchParams.set('code', answer.code);
    current.searchParams.set('state', answer.state);
    if (answer.iss !== undefined) current.searchParams.set('iss', answer.iss);
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(client, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: answer.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('no id token');
      // Many providers (oidc-provider among them, per OIDC Core 5.4) put scope claims such as
      // email only in UserInfo when an access token is issued: asked there, for the id token's
      // subject (openid-client refuses a UserInfo answer about anyone else).
      claims =
        typeof idClaims.email === 'string'
          ? idClaims
          : {
              ...idClaims,
              ...(await oidc.fetchUserInfo(client, tokens.access_token, idClaims.sub)),
              sub: idClaims.sub,
            };
    } catch (error) {
      await this.#failed(c, context, 'provider-answer-refused', (error as Error).message);
      throw refused(
        401,
        'sso-failed',
        'Sign-in failed',
        'The identity provider did not confirm this sign-in',
      );
    }
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    if (!email || claims.email_verified !== true) {
      await this.#failed(c, context, 'email-unverified');
      throw refused(
        403,
        'sso-email-unverified',
        'E-mail not verified',
        'The identity provider has not verified this address',
      );
    }
    const emailKey = normaliseEmail(email);
    const domain = emailKey.slice(emailKey.lastIndexOf('@') + 1);
    if (!emailKey.includes('@') || !settings.allowedEmailDomains.includes(domain)) {
      await this.#failed(c, context, 'email-domain-not-allowed');
      throw refused(
        403,
        'sso-email-domain-not-allowed',
        'Address not allowed',
        'This tenant does not admit this e-mail domain',
      );
    }
    let user = await this.#person(c, `${settings.issuer} ${claims.sub}`, email, claims, context);
    if (user.status !== 'active') {
      await this.#failed(c, context, 'inactive', undefined, user._id);
      throw refused(401, 'invalid-credentials', 'Invalid credentials', 'This account cannot sign in');
    }
    user = await this.#mapRoles(c, user, settings, claims, context);
    return this.#deps.sessions.open(c, user, OIDC_AMR, context);
  }

  /**
   * With role mappings set, the person's roles are member plus the roles of every mapped group
   * the provider lists in the groups claim, at each sign-in: joining the group at the provider
   * makes an admin, leaving it ends that at the next sign-in. A change goes through
   * Accounts.update (audited; it ends the person's other sessions, whose tokens name the old
   * roles). Without mappings, roles are Parley's to manage and are left alone.
   */
  async #mapRoles(
    c: TenantCollections,
    user: UserDocument,
    settings: SsoProviderDocument,
    claims: oidc.IDToken,
    context: RequestContext,
  ): Promise<UserDocument> {
    const mappings = settings.roleMappings ?? [];
    if (mappings.length === 0) return user;
    const listed = claims[settings.groupsClaim ?? DEFAULT_GROUPS_CLAIM];
    const groups = new Set(
      Array.isArray(listed) ? listed.filter((g): g is string => typeof g === 'string') : [],
    );
    const granted = new Set<Role>(['member']);
    for (const mapping of mappings)
      if (groups.has(mapping.group)) for (const r of mapping.roles) granted.add(r);
    const roles = ROLES.filter((r) => granted.has(r));
    if (roles.join(',') === [...user.roles].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b)).join(','))
      return user;
    await this.#deps.accounts.update(c, user._id, { roles }, { type: 'system', id: 'sso' }, context);
    return { ...user, roles };
  }

  async #person(
    c: TenantCollections,
    subjectKey: string,
    email: string,
    claims: oidc.IDToken,
    context: RequestContext,
  ): Promise<UserDocument> {
    const linked = await c.users.findOne({ oidcSubjects: subjectKey, status: { $ne: 'deleted' } });
    if (linked) return linked;
    const byEmail = await c.users.findOne({ emailKey: normaliseEmail(email) });
    if (byEmail) {
      if (byEmail.status === 'deleted') return byEmail;
      const event = await this.#deps.events.create({
        tenant: c.tenant,
        action: 'auth.security.sso-identity-linked',
        outcome: 'success',
        actor: { type: 'system', id: 'auth' },
        resource: { type: 'user', id: byEmail._id },
        subject: byEmail._id,
        context,
        metadata: { issuer: subjectKey.split(' ')[0] ?? '' },
      });
      await c.users.updateOne(
        { _id: byEmail._id },
        outboxPush([event], { $addToSet: { oidcSubjects: subjectKey }, $set: { updatedAt: new Date() } }),
      );
      return { ...byEmail, oidcSubjects: [...(byEmail.oidcSubjects ?? []), subjectKey] };
    }
    const name =
      typeof claims.name === 'string' && claims.name.trim()
        ? claims.name.trim().slice(0, 100)
        : email.split('@')[0];
    // No password: one is never checked for it (login spends a decoy hash), until a reset sets one.
    return this.#deps.accounts.insert(
      c,
      { email, passwordHash: '', displayName: name ?? email, roles: ['member'], oidcSubjects: [subjectKey] },
      'oidc',
      context,
    );
  }

  async #failed(
    c: TenantCollections,
    context: RequestContext,
    reason: string,
    detail?: string,
    userId?: string,
  ) {
    await recordSecurityEvents(c, [
      await this.#deps.events.create({
        tenant: c.tenant,
        action: 'auth.security.sso-login-failed',
        outcome: 'failure',
        actor: userId ? { type: 'user', id: userId } : { type: 'anonymous', id: 'sso' },
        resource: { type: 'sso-provider', id: 'oidc' },
        ...(userId ? { subject: userId } : {}),
        context,
        metadata: { reason, ...(detail ? { detail: detail.slice(0, 200) } : {}) },
      }),
    ]);
  }

  #stateKey(tenant: string, state: string): string {
    return redisKey(tenant, 'auth', 'oidc-state', createHash('sha256').update(state).digest('hex'));
  }
}
