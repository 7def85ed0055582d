/**
 * A tenant's OpenID Connect provider, as its admin configures it: issuer, client id, the client
 * secret (sealed under the tenant's keyring key, bound to the issuer, so the stored copy opens only
 * for the provider it was given for and a tenant's crypto-shred kills it), the redirect URIs the
 * provider may send browsers back to, and the e-mail domains whose verified addresses may sign in.
 *
 * The provider's discovery document is read when the settings are saved (a wrong issuer fails
 * there, with a reason, not at the first sign-in) and then kept per tenant for DISCOVERY_TTL_MS;
 * openid-client keeps the provider's JWKS and refreshes it on an unknown key id.
 *
 * The issuer is a URL a tenant admin names and the server then fetches (discovery, JWKS, token,
 * UserInfo): every such request goes through @parley/egress-guard, which resolves the host and
 * refuses it unless every address is public or on a network OIDC_ISSUER_ALLOWED_NETWORKS names,
 * checked again at each connection (a name rebound to 127.0.0.1 later is refused too). Saving
 * the settings checks the issuer and the endpoints its document names first, for a clear 400.
 */
import {
  OIDC_CLIENT_SECRET_PURPOSE,
  type OidcProviderSettings,
  type OidcProviderSettingsRequest,
} from '@parley/contracts';
import {
  type AddressPolicy,
  assertReachable,
  createGuardedFetch,
  EgressRefusedError,
  type GuardedFetch,
} from '@parley/egress-guard';
import type { Keyring } from '@parley/keyring';
import { ProblemError } from '@parley/kit';
import { outboxPush } from '@parley/outbox';
import * as oidc from 'openid-client';
import type { SsoProviderDocument, TenantCollections } from '../store/tenant-store.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import { recordSecurityEvents } from './security-log.ts';

const DISCOVERY_TTL_MS = 10 * 60_000;
export const DEFAULT_GROUPS_CLAIM = 'groups';

export interface OidcProviderPolicy {
  /**
   * Accept `http://` issuers (the local OpenID provider of dev and tests). Off by default: a
   * provider's tokens and keys must come over TLS.
   */
  allowHttpIssuers: boolean;
  /** The addresses the issuer and its endpoints may be on (public ones, plus the allowed networks). */
  addresses: AddressPolicy;
}

/** The 400 for an issuer (or an endpoint it names) on an address the server will not call. */
const issuerNotPublic = (error: EgressRefusedError) =>
  new ProblemError(
    400,
    'oidc-issuer-not-public',
    'Issuer address not allowed',
    `${error.message}. Issuers must be on public addresses unless the operator allows the network (OIDC_ISSUER_ALLOWED_NETWORKS)`.slice(
      0,
      300,
    ),
  );

/** The EgressRefusedError behind a failed request, however deep openid-client wrapped it. */
function egressRefusal(error: unknown): EgressRefusedError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof EgressRefusedError) return e;
  return undefined;
}

export const ssoNotConfigured = () =>
  new ProblemError(
    404,
    'sso-not-configured',
    'Single sign-on not configured',
    'This tenant has no OpenID provider',
  );

export interface ProviderConfiguration {
  settings: SsoProviderDocument;
  client: oidc.Configuration;
}

export function settingsView(doc: SsoProviderDocument): OidcProviderSettings {
  return {
    issuer: doc.issuer,
    clientId: doc.clientId,
    redirectUris: doc.redirectUris,
    allowedEmailDomains: doc.allowedEmailDomains,
    groupsClaim: doc.groupsClaim ?? DEFAULT_GROUPS_CLAIM,
    roleMappings: doc.roleMappings ?? [],
    requireSso: doc.requireSso ?? false,
    breakGlassUserIds: doc.breakGlassUserIds ?? [],
    updatedAt: doc.updatedAt.toISOString(),
  };
}

export class OidcProviders {
  readonly #keyring: Keyring;
  readonly #events: SecurityEvents;
  readonly #policy: OidcProviderPolicy;
  readonly #fetch: GuardedFetch;
  /** Per tenant: the discovered client, for the settings version it was made from. */
  readonly #clients = new Map<string, { version: number; at: number; client: Promise<oidc.Configuration> }>();

  constructor(keyring: Keyring, events: SecurityEvents, policy: OidcProviderPolicy) {
    this.#keyring = keyring;
    this.#events = events;
    this.#policy = policy;
    this.#fetch = createGuardedFetch({ policy: policy.addresses });
  }

  async configure(
    c: TenantCollections,
    request: OidcProviderSettingsRequest,
    actorId: string,
    context: RequestContext,
  ): Promise<OidcProviderSettings> {
    const issuer = this.#issuerUrl(request.issuer);
    const breakGlassUserIds = await this.#breakGlass(c, request);
    await this.#assertReachable(issuer);
    // Discovery before anything is stored: an issuer that does not answer as one is refused now.
    const client = await this.#discover(issuer, request.clientId, request.clientSecret).catch(
      (error: unknown) => {
        const refusal = egressRefusal(error);
        if (refusal) throw issuerNotPublic(refusal);
        throw new ProblemError(
          422,
          'oidc-discovery-failed',
          'OpenID provider not usable',
          `The issuer's discovery failed: ${(error as Error).message}`.slice(0, 300),
        );
      },
    );
    // The endpoints the document names are fetched later (sign-in): refused now, not then.
    const metadata = client.serverMetadata();
    for (const endpoint of [metadata.jwks_uri, metadata.token_endpoint, metadata.userinfo_endpoint])
      if (endpoint) await this.#assertReachable(new URL(endpoint));
    await this.#keyring.ensureTenantKey(c.tenant);
    const sealed = await this.#keyring.encrypt(
      c.tenant,
      OIDC_CLIENT_SECRET_PURPOSE,
      Buffer.from(request.clientSecret),
      {
        aad: Buffer.from(request.issuer),
      },
    );
    const doc: SsoProviderDocument = {
      _id: 'oidc',
      // As given: the provider's id tokens name it exactly so (a bare origin has no trailing '/').
      issuer: request.issuer,
      clientId: request.clientId,
      sealedClientSecret: sealed.toString('base64'),
      redirectUris: request.redirectUris,
      allowedEmailDomains: [...new Set(request.allowedEmailDomains.map((d) => d.toLowerCase()))],
      groupsClaim: request.groupsClaim ?? DEFAULT_GROUPS_CLAIM,
      roleMappings: request.roleMappings ?? [],
      requireSso: request.requireSso ?? false,
      breakGlassUserIds,
      updatedAt: new Date(),
    };
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.sso-settings-changed',
      outcome: 'success',
      actor: { type: 'user', id: actorId },
      resource: { type: 'sso-provider', id: 'oidc' },
      context,
      metadata: {
        issuer: doc.issuer,
        clientId: doc.clientId,
        allowedEmailDomains: doc.allowedEmailDomains,
        groupsClaim: doc.groupsClaim ?? DEFAULT_GROUPS_CLAIM,
        // Audit metadata holds flat values: each mapping as `group=role+role`.
        roleMappings: (doc.roleMappings ?? []).map((m) => `${m.group}=${m.roles.join('+')}`),
        requireSso: doc.requireSso ?? false,
        breakGlassUserIds: breakGlassUserIds,
      },
    });
    // The settings and their audit record in one write (sso_providers is an outbox collection);
    // `$set`, not a replace, so events of an earlier change not yet relayed stay queued.
    const { _id, ...fields } = doc;
    await c.ssoProviders.updateOne(
      { _id: 'oidc' },
      outboxPush<SsoProviderDocument>([event], { $set: fields }),
      {
        upsert: true,
      },
    );
    this.#clients.delete(c.tenant);
    return settingsView(doc);
  }

  /**
   * The break-glass admins of a request: each an active admin of this tenant with a password (a
   * user id of another tenant is not found here), and at least one when SSO is required, so
   * the tenant is never locked out by its provider failing.
   */
  async #breakGlass(c: TenantCollections, request: OidcProviderSettingsRequest): Promise<string[]> {
    const ids = request.breakGlassUserIds ?? [];
    if (request.requireSso && ids.length === 0)
      throw new ProblemError(
        400,
        'break-glass-required',
        'A break-glass admin is required',
        'Requiring single sign-on needs at least one break-glass admin (breakGlassUserIds) who keeps a password',
      );
    if (ids.length === 0) return [];
    const found = await c.users
      .find(
        { _id: { $in: ids }, status: 'active', roles: 'admin', passwordHash: { $gt: '' } },
        { projection: { _id: 1 } },
      )
      .toArray();
    const ok = new Set(found.map((u) => u._id));
    const refused = ids.filter((id) => !ok.has(id));
    if (refused.length > 0)
      throw new ProblemError(
        400,
        'break-glass-invalid',
        'Not a break-glass admin',
        `Each break-glass user must be an active admin of this tenant with a password: ${refused.join(', ')}`.slice(
          0,
          300,
        ),
      );
    return ids;
  }

  async get(c: TenantCollections): Promise<SsoProviderDocument | null> {
    return c.ssoProviders.findOne({ _id: 'oidc' });
  }

  async remove(c: TenantCollections, actorId: string, context: RequestContext): Promise<boolean> {
    const existing = await this.get(c);
    if (!existing) return false;
    // The record first: a crash before the delete leaves a record of an intent, never a change
    // without one.
    await recordSecurityEvents(c, [
      await this.#events.create({
        tenant: c.tenant,
        action: 'auth.security.sso-settings-changed',
        outcome: 'success',
        actor: { type: 'user', id: actorId },
        resource: { type: 'sso-provider', id: 'oidc' },
        context,
        metadata: { issuer: existing.issuer, removed: true },
      }),
    ]);
    await c.ssoProviders.deleteOne({ _id: 'oidc' });
    this.#clients.delete(c.tenant);
    return true;
  }

  /** The tenant's provider and a client for it (discovered at most every DISCOVERY_TTL_MS). */
  async configuration(c: TenantCollections): Promise<ProviderConfiguration> {
    const settings = await this.get(c);
    if (!settings) throw ssoNotConfigured();
    const version = settings.updatedAt.getTime();
    let cached = this.#clients.get(c.tenant);
    if (!cached || cached.version !== version || Date.now() - cached.at > DISCOVERY_TTL_MS) {
      const client = this.#openSecret(c.tenant, settings).then((secret) =>
        this.#discover(new URL(settings.issuer), settings.clientId, secret),
      );
      cached = { version, at: Date.now(), client };
      this.#clients.set(c.tenant, cached);
      client.catch(() => this.#clients.delete(c.tenant));
    }
    return { settings, client: await cached.client };
  }

  async #openSecret(tenant: string, settings: SsoProviderDocument): Promise<string> {
    const plain = await this.#keyring.decrypt(
      tenant,
      OIDC_CLIENT_SECRET_PURPOSE,
      Buffer.from(settings.sealedClientSecret, 'base64'),
      { aad: Buffer.from(settings.issuer) },
    );
    return plain.toString();
  }

  #issuerUrl(value: string): URL {
    const url = new URL(value);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#policy.allowHttpIssuers)) {
      throw new ProblemError(
        400,
        'oidc-issuer-insecure',
        'Issuer must use https',
        'The issuer must be an https URL',
      );
    }
    if (url.search || url.hash)
      throw new ProblemError(
        400,
        'oidc-issuer-invalid',
        'Invalid issuer',
        'An issuer has no query or fragment',
      );
    return url;
  }

  async #assertReachable(url: URL): Promise<void> {
    await assertReachable(url, this.#policy.addresses).catch((error: unknown) => {
      throw error instanceof EgressRefusedError ? issuerNotPublic(error) : error;
    });
  }

  #discover(issuer: URL, clientId: string, secret: string): Promise<oidc.Configuration> {
    // client_secret_basic: the method every provider supports and oidc-provider's default.
    return oidc.discovery(issuer, clientId, undefined, oidc.ClientSecretBasic(secret), {
      ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 10,
      // Every request of this client (discovery, JWKS, token, UserInfo), address-checked.
      // undici's Response is the one Node's fetch returns; openid-client checks it by its tag.
      [oidc.customFetch]: (url, options) =>
        this.#fetch(url, options as Parameters<GuardedFetch>[1]) as unknown as Promise<Response>,
    });
  }
}
