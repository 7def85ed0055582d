/**
 * Users of a tenant: joining (by invitation, or by open sign-up where the tenant allows it),
 * their profile, password changes, and what an admin may change (roles, suspension). Suspending
 * a user, changing their roles or their password revokes their sessions: an access token carries
 * the roles it was issued with, so a demoted admin's token would otherwise open admin routes until
 * it expired.
 */
import { randomUUID } from 'node:crypto';
import type { AuditActor, Role, User } from '@parley/contracts';
import { isDuplicateKeyError, ProblemError, problems } from '@parley/kit';
import { outboxPush, withOutbox } from '@parley/outbox';
import type { CredentialCache } from '../store/credential-cache.ts';
import type { InvitationDocument, TenantCollections, UserDocument } from '../store/tenant-store.ts';
import { normaliseEmail } from '../store/tenant-store.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { assertAcceptablePassword } from './password-policy.ts';
import type { Reauthentication } from './reauthentication.ts';
import type { Sessions } from './sessions.ts';

export function userView(user: UserDocument): User {
  return {
    id: user._id,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles,
    status: user.status,
    mfaEnabled: !!user.totp,
    createdAt: user.createdAt.toISOString(),
  };
}

export class Accounts {
  readonly #hasher: PasswordHasher;
  readonly #sessions: Sessions;
  readonly #reauthentication: Reauthentication;

  readonly #credentials: CredentialCache;
  readonly #events: SecurityEvents;

  constructor(
    hasher: PasswordHasher,
    sessions: Sessions,
    reauthentication: Reauthentication,
    credentials: CredentialCache,
    events: SecurityEvents,
  ) {
    this.#events = events;
    this.#credentials = credentials;
    this.#hasher = hasher;
    this.#sessions = sessions;
    this.#reauthentication = reauthentication;
  }

  async create(
    c: TenantCollections,
    fields: { email: string; password: string; displayName: string; roles: Role[] },
    how: 'invitation' | 'sign-up',
    context: RequestContext,
    /** An invitation's id: the invitee's records so far are about this data subject. */
    givenUserId?: string,
  ): Promise<UserDocument> {
    assertAcceptablePassword(fields.password, { email: fields.email, tenant: c.tenant });
    const { password, ...rest } = fields;
    return this.insert(
      c,
      { ...rest, passwordHash: await this.#hasher.hash(password) },
      how,
      context,
      givenUserId,
    );
  }

  /**
   * Stores a new active user whose password was checked and hashed already (by `create`, or when an
   * open sign-up was requested); 409 when the e-mail has an account.
   */
  async insert(
    c: TenantCollections,
    fields: {
      email: string;
      /** '' for an account without a password (made by single sign-on or SCIM). */
      passwordHash: string;
      displayName: string;
      roles: Role[];
      oidcSubjects?: string[];
    },
    how: 'invitation' | 'sign-up' | 'oidc' | 'scim',
    context: RequestContext,
    givenUserId?: string,
  ): Promise<UserDocument> {
    const now = new Date();
    const userId = givenUserId ?? randomUUID();
    const user: UserDocument = {
      _id: userId,
      email: fields.email.trim(),
      emailKey: normaliseEmail(fields.email),
      displayName: fields.displayName,
      roles: fields.roles,
      status: 'active',
      passwordHash: fields.passwordHash,
      ...(fields.oidcSubjects ? { oidcSubjects: fields.oidcSubjects } : {}),
      createdAt: now,
      updatedAt: now,
    };
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.user-registered',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      resource: { type: 'user', id: userId },
      email: user.emailKey,
      context,
      metadata: { via: how, roles: fields.roles },
    });
    try {
      // Bumps the address's credential version: a cached "no such account" ends here.
      await this.#credentials.changing(c.tenant, user.emailKey, () =>
        c.users.insertOne(withOutbox(user, [event])),
      );
    } catch (error) {
      if (isDuplicateKeyError(error)) throw problems.conflict('An account with this e-mail already exists');
      throw error;
    }
    return user;
  }

  async fromInvitation(
    c: TenantCollections,
    invitation: InvitationDocument,
    password: string,
    displayName: string,
    context: RequestContext,
  ): Promise<UserDocument> {
    return this.create(
      c,
      { email: invitation.email, password, displayName, roles: invitation.roles },
      'invitation',
      context,
      invitation._id,
    );
  }

  async get(c: TenantCollections, userId: string): Promise<UserDocument> {
    const user = await c.users.findOne({ _id: userId, status: { $ne: 'deleted' } });
    if (!user) throw problems.notFound('No such user');
    return user;
  }

  async list(c: TenantCollections): Promise<User[]> {
    const users = await c.users
      .find({ status: { $ne: 'deleted' } })
      .sort({ createdAt: 1 })
      .limit(1000)
      .toArray();
    return users.map(userView);
  }

  async changePassword(
    c: TenantCollections,
    user: UserDocument,
    currentPassword: string,
    newPassword: string,
    currentSessionId: string,
    context: RequestContext,
  ): Promise<void> {
    await this.#reauthentication.require(
      c,
      { ...user, totp: undefined },
      { password: currentPassword },
      context,
    );
    assertAcceptablePassword(newPassword, { email: user.email, tenant: c.tenant });
    if (currentPassword === newPassword) {
      throw new ProblemError(
        400,
        'password-unchanged',
        'Password unchanged',
        'Choose a password you have not used here',
      );
    }
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.password-changed',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'user', id: user._id },
      context,
    });
    const newHash = await this.#hasher.hash(newPassword);
    await this.#credentials.changing(c.tenant, user.emailKey, () =>
      c.users.updateOne(
        { _id: user._id },
        outboxPush([event], {
          $set: { passwordHash: newHash, updatedAt: new Date() },
        }),
      ),
    );
    // Anyone else holding a session made with the old password is signed out.
    await this.#sessions.revokeAll(
      c,
      user._id,
      'password-changed',
      { type: 'user', id: user._id },
      context,
      currentSessionId,
    );
  }

  /** The password policy's checks of a new password for this user (reset-time). */
  assertNewPasswordAcceptable(c: TenantCollections, user: UserDocument, password: string): void {
    assertAcceptablePassword(password, { email: user.email, tenant: c.tenant });
  }

  /**
   * Sets a password through a reset link (password-reset.ts has checked the link and spent it):
   * audited, and every session of the account revoked, the one that asked included (there is none:
   * whoever resets is signed out).
   */
  async resetPassword(
    c: TenantCollections,
    user: UserDocument,
    newPassword: string,
    resetId: string,
    context: RequestContext,
  ): Promise<void> {
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.password-reset',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'user', id: user._id },
      context,
      metadata: { resetId },
    });
    const newHash = await this.#hasher.hash(newPassword);
    await this.#credentials.changing(c.tenant, user.emailKey, () =>
      c.users.updateOne(
        { _id: user._id },
        outboxPush([event], { $set: { passwordHash: newHash, updatedAt: new Date() } }),
      ),
    );
    await this.#sessions.revokeAll(c, user._id, 'password-reset', { type: 'user', id: user._id }, context);
  }

  async update(
    c: TenantCollections,
    userId: string,
    change: { roles?: Role[]; status?: 'active' | 'suspended' },
    actor: AuditActor,
    context: RequestContext,
  ): Promise<User> {
    const user = await this.get(c, userId);
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.user-updated',
      outcome: 'success',
      actor,
      resource: { type: 'user', id: userId },
      subject: userId,
      context,
      metadata: {
        ...(change.roles ? { roles: change.roles } : {}),
        ...(change.status ? { status: change.status } : {}),
      },
    });
    const updated = await this.#credentials.changing(c.tenant, user.emailKey, () =>
      c.users.findOneAndUpdate(
        { _id: userId, status: { $ne: 'deleted' } },
        outboxPush([event], { $set: { ...change, updatedAt: new Date() } }),
        { returnDocument: 'after' },
      ),
    );
    if (!updated) throw problems.notFound('No such user');
    const rolesChanged =
      change.roles !== undefined && [...change.roles].sort().join(',') !== [...user.roles].sort().join(',');
    if (change.status === 'suspended' && user.status !== 'suspended') {
      await this.#sessions.revokeAll(c, userId, 'user-suspended', actor, context);
    } else if (rolesChanged) {
      await this.#sessions.revokeAll(c, userId, 'roles-changed', actor, context);
    }
    return userView(updated);
  }
}
