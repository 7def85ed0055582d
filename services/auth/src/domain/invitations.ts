/**
 * Invitations: how users join a tenant (an admin's, or the operator's for the first admins).
 * The token (`<invitation id>.<256 random bits>`) is shown once and stored hashed. Inviting is
 * idempotent per e-mail, as the operator's reconcile loop needs: a repeat answers with the state
 * (pending or accepted) and no token; an expired invitation is replaced by a fresh one.
 * The invitation's id becomes the user's id on acceptance, so whatever was recorded about the
 * invitee (their e-mail in the audit record, sealed under `subject:<id>`) belongs to the same
 * data subject as the account, and the person's erasure covers it.
 *
 * Each new token is also handed to a notifier: the invitation's document carries
 * `auth.invitation.delivery-requested.v1` in its outbox (address, roles and token sealed by the
 * tenant's key, bound to the invitation id; relayed to the tenant's `notifications` topic). The
 * inviting call still gets the token in its answer, as InvitationResponseSchema promises (the
 * operator and admins without a notifier hand it over themselves).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createEvent,
  INVITATION_DELIVERY_PURPOSE,
  type InvitationDelivery,
  InvitationDeliveryRequested,
  type Role,
} from '@parley/contracts';
import { isDuplicateKeyError, ProblemError } from '@parley/kit';
import { OUTBOX_FIELD, type OutboxFields, withOutbox } from '@parley/outbox';
import type { InvitationDocument, TenantCollections } from '../store/tenant-store.ts';
import { normaliseEmail } from '../store/tenant-store.ts';
import { AUDIT_SOURCE, type RequestContext, type SecurityEvents } from './audit-records.ts';
import { type DeliverySealer, sealDelivery } from './delivery-sealing.ts';
import { hashToken } from './refresh-tokens.ts';

export interface InvitationResult {
  invitationId: string;
  email: string;
  state: 'invited' | 'pending' | 'accepted';
  token?: string;
  expiresAt: string;
}

export const invalidInvitation = () =>
  new ProblemError(
    400,
    'invalid-invitation',
    'Invalid invitation',
    'The invitation is unknown, used or expired',
  );

export class Invitations {
  readonly #ttlSeconds: number;
  readonly #events: SecurityEvents;
  readonly #sealer: DeliverySealer;

  constructor(ttlSeconds: number, events: SecurityEvents, sealer: DeliverySealer) {
    this.#events = events;
    this.#ttlSeconds = ttlSeconds;
    this.#sealer = sealer;
  }

  async invite(
    c: TenantCollections,
    email: string,
    roles: Role[],
    invitedBy: string,
    context: RequestContext,
    { reissue = false }: { reissue?: boolean } = {},
  ): Promise<InvitationResult> {
    const emailKey = normaliseEmail(email);
    const member = await c.users.findOne(
      { emailKey, status: { $ne: 'deleted' } },
      { projection: { _id: 1, createdAt: 1 } },
    );
    const existing = await c.invitations.findOne({ emailKey });
    if (member) {
      return {
        invitationId: existing?._id ?? member._id,
        email: emailKey,
        state: 'accepted',
        expiresAt: (existing?.expiresAt ?? member.createdAt).toISOString(),
      };
    }
    if (existing && !existing.acceptedAt && existing.expiresAt.getTime() > Date.now() && !reissue) {
      return {
        invitationId: existing._id,
        email: emailKey,
        state: 'pending',
        expiresAt: existing.expiresAt.toISOString(),
      };
    }
    // An expired (or reissued) invitation is replaced in place (one document per e-mail), keeping its id.
    const invitationId = existing?._id ?? randomUUID();
    const token = `${invitationId}.${randomBytes(32).toString('base64url')}`;
    const now = new Date();
    const document: InvitationDocument = {
      _id: invitationId,
      email: email.trim(),
      emailKey,
      roles,
      tokenHash: hashToken(token),
      invitedBy,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#ttlSeconds * 1000),
    };
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.user-invited',
      outcome: 'success',
      actor:
        invitedBy === 'operator' ? { type: 'operator', id: 'operator' } : { type: 'user', id: invitedBy },
      resource: { type: 'invitation', id: invitationId },
      // The invitee's user id to be (an accepted invitation's user takes its id): the e-mail is
      // sealed under the key the person's erasure shreds.
      subject: invitationId,
      email: emailKey,
      context,
      metadata: { roles },
    });
    const delivery = await this.#deliveryRequest(c.tenant, document, token, context);
    try {
      if (existing) {
        // The replacement keeps what the old document has not published yet (its audit records
        // above all), except a delivery request for the token this reissue makes void.
        const unpublished = ((existing as OutboxFields)[OUTBOX_FIELD] ?? []).filter(
          (pending) => pending.type !== InvitationDeliveryRequested.type,
        );
        const replaced = await c.invitations.replaceOne(
          { _id: existing._id, tokenHash: existing.tokenHash },
          withOutbox(document, [...unpublished, event, delivery]),
        );
        if (replaced.matchedCount !== 1) return this.invite(c, email, roles, invitedBy, context);
        return {
          invitationId,
          email: emailKey,
          state: 'invited',
          token,
          expiresAt: document.expiresAt.toISOString(),
        };
      }
      await c.invitations.insertOne(withOutbox(document, [event, delivery]));
    } catch (error) {
      // Another call invited the same address at the same moment: answer as a repeat.
      if (isDuplicateKeyError(error)) return this.invite(c, email, roles, invitedBy, context);
      throw error;
    }
    return {
      invitationId,
      email: emailKey,
      state: 'invited',
      token,
      expiresAt: document.expiresAt.toISOString(),
    };
  }

  /** Asks a notifier to send the invitation's link: the address, roles and token sealed. */
  async #deliveryRequest(
    tenant: string,
    invitation: InvitationDocument,
    token: string,
    context: RequestContext,
  ) {
    const delivery: InvitationDelivery = { email: invitation.email, token, roles: invitation.roles };
    return createEvent(InvitationDeliveryRequested, {
      tenant,
      source: AUDIT_SOURCE,
      ...(context.requestId ? { correlationId: context.requestId } : {}),
      payload: {
        invitationId: invitation._id,
        expiresAt: invitation.expiresAt.toISOString(),
        sealedDelivery: await sealDelivery(
          this.#sealer,
          tenant,
          INVITATION_DELIVERY_PURPOSE,
          invitation._id,
          delivery,
        ),
      },
    });
  }

  /** The open invitation a token names, or an invalid-invitation problem. */
  async redeemable(c: TenantCollections, token: string): Promise<InvitationDocument> {
    const invitationId = /^([0-9a-f-]{36})\./.exec(token)?.[1];
    if (!invitationId) throw invalidInvitation();
    const invitation = await c.invitations.findOne({ _id: invitationId });
    if (
      !invitation ||
      invitation.acceptedAt ||
      invitation.expiresAt.getTime() <= Date.now() ||
      invitation.tokenHash !== hashToken(token)
    ) {
      throw invalidInvitation();
    }
    return invitation;
  }

  async markAccepted(c: TenantCollections, invitation: InvitationDocument, userId: string): Promise<void> {
    await c.invitations.updateOne(
      { _id: invitation._id, acceptedAt: { $exists: false } },
      { $set: { acceptedAt: new Date(), userId } },
    );
  }
}
