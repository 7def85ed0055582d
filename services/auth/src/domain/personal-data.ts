/**
 * What auth holds about a person, for GDPR: export (everything, but never a secret: no password
 * hash, TOTP secret, recovery-code hash or refresh-token hash; open sign-up requests for their
 * address without the pending password hash or the link's token hash) and erasure (user record
 * anonymised to a tombstone, sessions revoked everywhere and removed with their refresh-token
 * families, MFA secrets and recovery codes removed, invitations to their address removed).
 *
 * The user record stays as a tombstone (status `deleted`, no e-mail, name or secrets) rather than
 * going: its id is what the audit log and other services' records point at, and it still carries
 * the outbox events of the erasure itself. Removed documents may carry outbox events not yet
 * relayed; those events are first moved into a `security_events` document, so an audit record is
 * never lost with the data (a crash in between publishes an event twice, which the compliance
 * service appends once: record ids are idempotent).
 *
 * Erasure is idempotent (a GDPR request is delivered at least once): a second run finds a
 * tombstone and removes nothing more.
 */

import { AUTH_NOTIFICATION_EVENT_TYPES, type AuditActor, type EventEnvelope } from '@parley/contracts';
import { isDuplicateKeyError } from '@parley/kit';
import { OUTBOX_FIELD, OUTBOX_PENDING_FIELD, outboxPush, withOutbox } from '@parley/outbox';
import type { Collection, Document, Filter } from 'mongodb';
import type { CredentialCache } from '../store/credential-cache.ts';
import type { TenantCollections } from '../store/tenant-store.ts';
import type { SecurityEvents } from './audit-records.ts';
import { type DeliveryShredder, shredDeliveries } from './delivery-sealing.ts';
import type { Sessions } from './sessions.ts';

export interface ErasureResult {
  counts: { users: number; sessionsRevoked: number; sessionsRemoved: number; invitationsRemoved: number };
  detail?: string;
}

export interface AuthExport {
  account: {
    id: string;
    email: string;
    displayName: string;
    roles: string[];
    status: string;
    createdAt: string;
    updatedAt: string;
    /** Identities at the tenant's OpenID provider that sign in as this account (`<issuer> <subject>`). */
    linkedIdentities: string[];
    /** The provisioning directory's id for the person (SCIM externalId), if any. */
    externalId: string | null;
  } | null;
  mfa: {
    totpEnrolled: boolean;
    totpEnrolledAt: string | null;
    totpEnrolmentPending: boolean;
    recoveryCodesRemaining: number;
  } | null;
  sessions: {
    id: string;
    createdAt: string;
    lastUsedAt: string;
    expiresAt: string;
    amr: string[];
    userAgent: string | null;
    revokedAt: string | null;
    revokedReason: string | null;
  }[];
  invitations: { email: string; roles: string[]; createdAt: string; acceptedAt: string | null }[];
  /**
   * Open sign-up requests made with the person's address (pending registrations, notices that the
   * address already had an account), until they are used or purged after expiry.
   */
  signUps: {
    kind: 'verification' | 'account-exists';
    /** As typed for a pending registration; the normalised address for a notice. */
    email: string;
    displayName: string | null;
    createdAt: string;
    expiresAt: string;
  }[];
}

/** How a tombstone's unique e-mail key looks: never a deliverable address, unique per user. */
export const erasedEmailKey = (userId: string) => `erased:${userId}`;

const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

export class PersonalData {
  readonly #sessions: Sessions;
  readonly #credentials: CredentialCache;
  readonly #events: SecurityEvents;
  readonly #shredder: DeliveryShredder;

  constructor(
    sessions: Sessions,
    credentials: CredentialCache,
    events: SecurityEvents,
    shredder: DeliveryShredder,
  ) {
    this.#sessions = sessions;
    this.#credentials = credentials;
    this.#events = events;
    this.#shredder = shredder;
  }

  async export(c: TenantCollections, userId: string): Promise<AuthExport> {
    const user = await c.users.findOne({ _id: userId });
    const sessions = await c.sessions.find({ userId }).sort({ createdAt: 1 }).limit(10_000).toArray();
    const invitations = user
      ? await c.invitations.find({ $or: [{ emailKey: user.emailKey }, { userId }] }).toArray()
      : await c.invitations.find({ userId }).toArray();
    // A pending registration's id is its future user id, so it is found even before an account.
    const signUps = await c.signUps
      .find(user ? { $or: [{ emailKey: user.emailKey }, { _id: userId }] } : { _id: userId }, {
        projection: { kind: 1, email: 1, emailKey: 1, displayName: 1, createdAt: 1, expiresAt: 1 },
      })
      .sort({ createdAt: 1 })
      .limit(1_000)
      .toArray();
    return {
      account: user
        ? {
            id: user._id,
            email: user.email,
            displayName: user.displayName,
            roles: user.roles,
            status: user.status,
            createdAt: user.createdAt.toISOString(),
            updatedAt: user.updatedAt.toISOString(),
            linkedIdentities: user.oidcSubjects ?? [],
            externalId: user.scimExternalId ?? null,
          }
        : null,
      mfa: user
        ? {
            totpEnrolled: !!user.totp,
            totpEnrolledAt: iso(user.totp?.enrolledAt),
            totpEnrolmentPending: !!user.totpPending,
            recoveryCodesRemaining: user.recoveryCodeHashes?.length ?? 0,
          }
        : null,
      sessions: sessions.map((s) => ({
        id: s._id,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        amr: s.amr,
        userAgent: s.userAgent ?? null,
        revokedAt: iso(s.revokedAt),
        revokedReason: s.revokedReason ?? null,
      })),
      invitations: invitations.map((i) => ({
        email: i.email,
        roles: i.roles,
        createdAt: i.createdAt.toISOString(),
        acceptedAt: iso(i.acceptedAt),
      })),
      signUps: signUps.map((s) => ({
        kind: s.kind,
        email: s.email ?? s.emailKey,
        displayName: s.displayName ?? null,
        createdAt: s.createdAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
      })),
    };
  }

  /**
   * Erases the person's auth data. Legal holds are the caller's to check first (the admin route
   * and the GDPR participant both do): this method deletes.
   */
  async erase(
    c: TenantCollections,
    userId: string,
    actor: AuditActor,
    how: 'admin-deletion' | 'gdpr-erasure',
  ): Promise<ErasureResult> {
    const user = await c.users.findOne({ _id: userId });
    // Revoked in Redis first: every auth-client refuses the sessions within moments.
    const sessionsRevoked = await this.#sessions.revokeAll(c, userId, how, actor, {});
    const sessionsRemoved = await removeKeepingEvents(c, c.sessions as unknown as Collection<Document>, {
      userId,
    });
    const invitationFilter = user ? { $or: [{ emailKey: user.emailKey }, { userId }] } : { userId };
    const live = user && user.emailKey !== erasedEmailKey(userId);
    // Deliveries to the person that did not become their account (sealed under each request's own
    // key: account-exists notices, other invitations to the address) are shredded before their
    // documents go, so a crash in between is finished by the next run; the person's own key
    // (their sign-up's or invitation's id) is compliance's to shred.
    const otherRequests = [
      ...(await c.invitations.find(invitationFilter, { projection: { _id: 1 } }).toArray()),
      ...(live
        ? await c.signUps.find({ emailKey: user.emailKey }, { projection: { _id: 1 } }).toArray()
        : []),
      // Password reset links asked for the account (their tokens sealed under each reset's key).
      ...(await c.passwordResets.find({ userId }, { projection: { _id: 1 } }).toArray()),
    ]
      .map((d) => d._id)
      .filter((id) => id !== userId);
    await shredDeliveries(this.#shredder, c.tenant, otherRequests);
    const invitationsRemoved = await removeKeepingEvents(
      c,
      c.invitations as unknown as Collection<Document>,
      invitationFilter,
    );
    // Open sign-up requests for the address (pending registrations, notices): their events ask a
    // notifier to write to the person, which an erasure cancels.
    if (live) await c.signUps.deleteMany({ emailKey: user.emailKey });
    await removeKeepingEvents(c, c.passwordResets as unknown as Collection<Document>, { userId });
    let users = 0;
    if (user && user.emailKey !== erasedEmailKey(userId)) {
      const event = await this.#events.create({
        tenant: c.tenant,
        action: how === 'admin-deletion' ? 'auth.security.user-deleted' : 'auth.security.user-erased',
        outcome: 'success',
        actor,
        resource: { type: 'user', id: userId },
        metadata: { userId, sessionsRevoked, sessionsRemoved, invitationsRemoved },
      });
      // The credential cache is bumped around the write: no replica logs the person in again.
      const result = await this.#credentials.changing(c.tenant, user.emailKey, () =>
        c.users.updateOne(
          { _id: userId },
          outboxPush([event], {
            $set: {
              email: '',
              emailKey: erasedEmailKey(userId),
              displayName: '',
              roles: [],
              status: 'deleted',
              passwordHash: '',
              updatedAt: new Date(),
            },
            $unset: {
              totp: '',
              totpPending: '',
              recoveryCodeHashes: '',
              oidcSubjects: '',
              scimExternalId: '',
              knownDevices: '',
            },
          }),
        ),
      );
      users = result.modifiedCount;
    }
    return {
      counts: { users, sessionsRevoked, sessionsRemoved, invitationsRemoved },
      ...(user ? {} : { detail: 'no account with this id' }),
    };
  }
}

/**
 * Deletes the matching documents; audit events they still carry for the relay move first into a
 * `security_events` document of their own. Delivery requests (an invitation's link) do not: the
 * erasure cancels writing to the person.
 */
async function removeKeepingEvents(
  c: TenantCollections,
  collection: Collection<Document>,
  filter: Filter<Document>,
): Promise<number> {
  const pending = await collection
    .find({ ...filter, [OUTBOX_PENDING_FIELD]: true }, { projection: { [OUTBOX_FIELD]: 1 } })
    .toArray();
  const events = pending
    .flatMap((d) => (d[OUTBOX_FIELD] as EventEnvelope[] | undefined) ?? [])
    .filter((event) => !AUTH_NOTIFICATION_EVENT_TYPES.includes(event.type));
  if (events.length > 0) {
    const [first] = events;
    try {
      await c.securityEvents.insertOne(
        withOutbox({ _id: `moved-${first?.id}`, action: 'outbox-moved', at: new Date() }, events),
      );
    } catch (error) {
      // Moved by an earlier run that stopped before the delete: already safe.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  return (await collection.deleteMany(filter)).deletedCount;
}
