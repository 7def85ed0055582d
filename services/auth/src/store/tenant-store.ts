/**
 * The auth service's collections in a tenant's own database (`parley_<tenant>`), reached only
 * through the tenant id. Indexes are made once per tenant per process, on first use.
 */
import type { Role, UserStatus } from '@parley/contracts';
import type { OutboxFields } from '@parley/outbox';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Db, MongoClient } from 'mongodb';

export interface UserDocument extends OutboxFields {
  _id: string;
  email: string;
  /** The e-mail normalised for uniqueness (lower case); unique per tenant. */
  emailKey: string;
  displayName: string;
  roles: Role[];
  status: UserStatus;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
  /** A TOTP secret awaiting its first code. */
  totpPending?: { sealedSecret: string; createdAt: Date };
  totp?: { sealedSecret: string; enrolledAt: Date; lastTimeStep: number };
  recoveryCodeHashes?: string[];
  /** Identities at the tenant's OpenID providers that sign in as this user: `<issuer> <subject>`. */
  oidcSubjects?: string[];
  /** SHA-256 of the user agents this account signed in from, the latest last (new-device-notices.ts). */
  knownDevices?: string[];
  /** The provisioning client's own id for this user (SCIM `externalId`). */
  scimExternalId?: string;
}

export interface SessionDocument extends OutboxFields {
  _id: string;
  userId: string;
  amr: string[];
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent?: string;
  revokedAt?: Date;
  revokedReason?: string;
  /** The refresh-token family: hashes of the tokens that may be used next. */
  refresh: { current: string[]; previous: string | null; rotatedAt: Date; generation: number };
}

export interface InvitationDocument extends OutboxFields {
  _id: string;
  email: string;
  emailKey: string;
  roles: Role[];
  tokenHash: string;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt?: Date;
  userId?: string;
}

/**
 * One open sign-up request: either a pending registration waiting for its link to be followed
 * (`verification`: the password already hashed, the link's token only as a hash), or the trace of
 * a request for an address that already has an account (`account-exists`). Either carries its
 * notifier event in the outbox.
 */
export interface SignUpDocument extends OutboxFields {
  /** For a verification, the future user's id (its sealed delivery is bound to it). */
  _id: string;
  kind: 'verification' | 'account-exists';
  emailKey: string;
  createdAt: Date;
  expiresAt: Date;
  email?: string;
  displayName?: string;
  passwordHash?: string;
  tokenHash?: string;
}

/**
 * A password reset request (password-reset.ts): for an address with an active account, the user
 * and the link's token hash; for any other, only that it was asked (the same insert). No address:
 * one without an account here is nobody's data to keep, and an account's is the user's.
 */
export interface PasswordResetDocument extends OutboxFields {
  /** The reset id: the link's token starts with it, its delivery is sealed under its key. */
  _id: string;
  kind: 'reset' | 'no-account';
  createdAt: Date;
  expiresAt: Date;
  userId?: string;
  tokenHash?: string;
}

/** A security event that belongs to no other document (a failed login, a lockout). */
export interface SecurityEventDocument extends OutboxFields {
  _id: string;
  action: string;
  at: Date;
}

export interface SettingsDocument {
  _id: 'auth';
  openSignUp: boolean;
  updatedAt: Date;
}

/**
 * The tenant's OpenID Connect provider (domain/oidc-providers.ts); one per tenant (`_id: 'oidc'`).
 * The client secret only sealed under the tenant's key, bound to the issuer.
 */
export interface SsoProviderDocument extends OutboxFields {
  _id: 'oidc';
  issuer: string;
  clientId: string;
  sealedClientSecret: string;
  redirectUris: string[];
  allowedEmailDomains: string[];
  /** The claim naming the person's groups (`groups` when absent). */
  groupsClaim?: string;
  /** Roles from groups; when any is set, every sign-in sets the person's roles from them. */
  roleMappings?: { group: string; roles: Role[] }[];
  /** Passwords off except for the break-glass admins. */
  requireSso?: boolean;
  breakGlassUserIds?: string[];
  updatedAt: Date;
}

/** A tenant's SCIM bearer token (domain/scim-tokens.ts): only its SHA-256 is kept. */
export interface ScimTokenDocument {
  _id: string;
  tokenHash: string;
  /** The token's first characters (`scim_` and 6 more), to tell tokens apart in a list; absent on tokens made before it was kept. */
  prefix?: string;
  createdBy: string;
  createdAt: Date;
  /** When a SCIM call last came with it (kept to the minute: at most one write a minute). */
  lastUsedAt?: Date;
}

/** A SCIM Group (domain/scim-groups.ts): its members are users of the same tenant. */
export interface ScimGroupDocument {
  _id: string;
  displayName: string;
  /** Unique per tenant, compared case-insensitively. */
  displayNameKey: string;
  externalId?: string;
  memberIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface TenantCollections {
  tenant: string;
  db: Db;
  users: Collection<UserDocument>;
  sessions: Collection<SessionDocument>;
  invitations: Collection<InvitationDocument>;
  securityEvents: Collection<SecurityEventDocument>;
  settings: Collection<SettingsDocument>;
  signUps: Collection<SignUpDocument>;
  passwordResets: Collection<PasswordResetDocument>;
  ssoProviders: Collection<SsoProviderDocument>;
  scimTokens: Collection<ScimTokenDocument>;
  scimGroups: Collection<ScimGroupDocument>;
}

/**
 * Collections whose documents may carry events (the outbox relay reads them): audit records, and
 * delivery requests for a notifier (`sign_ups`, `invitations`, `password_resets`).
 */
export const OUTBOX_COLLECTIONS = [
  'users',
  'sessions',
  'invitations',
  'security_events',
  'sign_ups',
  'password_resets',
  'sso_providers',
] as const;

export class TenantStore {
  readonly #client: MongoClient;
  /** Per tenant: its collection handles, ready once its indexes are in place. Made once, not per request. */
  readonly #tenants = new Map<string, Promise<TenantCollections>>();

  constructor(client: MongoClient) {
    this.#client = client;
  }

  /** The tenant's collections, with their indexes in place. */
  forTenant(tenant: string): Promise<TenantCollections> {
    let ready = this.#tenants.get(tenant);
    if (!ready) {
      ready = this.#open(tenant);
      this.#tenants.set(tenant, ready);
      ready.catch(() => this.#tenants.delete(tenant));
    }
    return ready;
  }

  async #open(tenant: string): Promise<TenantCollections> {
    const db = this.#client.db(mongoDatabaseName(tenant));
    const collections: TenantCollections = {
      tenant,
      db,
      users: db.collection<UserDocument>('users'),
      sessions: db.collection<SessionDocument>('sessions'),
      invitations: db.collection<InvitationDocument>('invitations'),
      securityEvents: db.collection<SecurityEventDocument>('security_events'),
      settings: db.collection<SettingsDocument>('settings'),
      signUps: db.collection<SignUpDocument>('sign_ups'),
      passwordResets: db.collection<PasswordResetDocument>('password_resets'),
      ssoProviders: db.collection<SsoProviderDocument>('sso_providers'),
      scimTokens: db.collection<ScimTokenDocument>('scim_tokens'),
      scimGroups: db.collection<ScimGroupDocument>('scim_groups'),
    };
    await this.#ensureIndexes(collections);
    return collections;
  }

  async #ensureIndexes(c: TenantCollections): Promise<void> {
    await Promise.all([
      c.users.createIndex({ emailKey: 1 }, { unique: true, name: 'email_unique' }),
      c.users.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true }),
      c.users.createIndex({ oidcSubjects: 1 }, { name: 'by_oidc_subject', sparse: true }),
      c.scimTokens.createIndex({ tokenHash: 1 }, { unique: true, name: 'token_unique' }),
      c.scimGroups.createIndex({ displayNameKey: 1 }, { unique: true, name: 'name_unique' }),
      c.sessions.createIndex({ userId: 1 }, { name: 'by_user' }),
      c.sessions.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true }),
      c.invitations.createIndex({ emailKey: 1 }, { unique: true, name: 'email_unique' }),
      c.invitations.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true }),
      c.securityEvents.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true }),
      c.signUps.createIndex({ emailKey: 1 }, { name: 'by_email' }),
      // The sweeper's deleteMany by expiry, every interval on every tenant.
      c.signUps.createIndex({ expiresAt: 1 }, { name: 'by_expiry' }),
      c.signUps.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true }),
      c.passwordResets.createIndex({ expiresAt: 1 }, { name: 'by_expiry' }),
      c.passwordResets.createIndex({ _outboxPending: 1 }, { name: 'outbox_pending', sparse: true }),
    ]);
  }
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
