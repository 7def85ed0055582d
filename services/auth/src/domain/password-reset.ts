/**
 * Password reset without user enumeration (OWASP Forgot Password Cheat Sheet; Keycloak's and
 * Ory Kratos' recovery flows): a request names an address and always gets the same 202 and body,
 * after the same work (throttle, one user lookup, a fresh token, one seal under a fresh key, one
 * audit record, one insert). What differs goes only to the address itself: an address with an
 * active account gets a single-use link by mail (`auth.password-reset.requested.v1` in the reset
 * document's outbox, for the notifier, its address, name and token sealed under
 * `subject:<reset id>` and bound to that id); any other address gets nothing, since mailing
 * addresses without an account here would make this form a way to write to anyone.
 *
 * The link's token is `<reset id>.<256 random bits>`, stored only as its SHA-256. Confirming it
 * with a new password (the password policy's checks) removes the reset document first — only the
 * request that removes it goes on, so a link works once — then sets the password, audited
 * (`auth.security.password-reset`), revokes every session of the account (whoever held one with
 * the old password is out), and shreds the delivery's key so the topic's copy of the token is
 * unreadable. Expired requests are purged with their keys by the sign-up sweeper's pass.
 *
 * In a tenant that requires single sign-on (requireSso), only its break-glass admins keep
 * passwords: anyone else's request is answered the same and mails nothing (audited as
 * `sso-required`), and a link issued before the setting was turned on is refused 403
 * `sso-required` without being spent, so a reset cannot set a password that sign-in then refuses.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createEvent,
  PASSWORD_RESET_DELIVERY_PURPOSE,
  type PasswordResetAccepted,
  type PasswordResetDelivery,
  PasswordResetRequested,
} from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import type { PasswordResetDocument, TenantCollections } from '../store/tenant-store.ts';
import { normaliseEmail } from '../store/tenant-store.ts';
import type { Accounts } from './accounts.ts';
import { AUDIT_SOURCE, type RequestContext, type SecurityEvents } from './audit-records.ts';
import {
  type DeliverySealer,
  type DeliveryShredder,
  sealDelivery,
  shredDeliveries,
} from './delivery-sealing.ts';
import { ssoRequired, UNKNOWN_ACCOUNTS_SUBJECT } from './login.ts';
import type { PasswordResetThrottle } from './password-reset-throttle.ts';
import { hashToken } from './refresh-tokens.ts';

export const invalidPasswordResetToken = () =>
  new ProblemError(
    400,
    'invalid-password-reset-token',
    'Invalid password reset link',
    'The link is unknown, used or expired',
  );

const ACCEPTED_DETAIL =
  'If this address has an account here, a message with a link to choose a new password has been sent to it.';

export class PasswordReset {
  readonly #accounts: Accounts;
  readonly #events: SecurityEvents;
  readonly #sealer: DeliverySealer & DeliveryShredder;
  readonly #throttle: PasswordResetThrottle;
  readonly #ttlSeconds: number;

  constructor(options: {
    accounts: Accounts;
    events: SecurityEvents;
    sealer: DeliverySealer & DeliveryShredder;
    throttle: PasswordResetThrottle;
    ttlSeconds: number;
  }) {
    this.#accounts = options.accounts;
    this.#events = options.events;
    this.#sealer = options.sealer;
    this.#throttle = options.throttle;
    this.#ttlSeconds = options.ttlSeconds;
  }

  /** The same answer for every acceptable request; see the file's header for what happens behind it. */
  async request(
    c: TenantCollections,
    email: string,
    context: RequestContext,
  ): Promise<PasswordResetAccepted> {
    const emailKey = normaliseEmail(email);
    // Before the lookup, and counted for every address alike: a 429 tells nothing about accounts.
    await this.#throttle.admit(c.tenant, emailKey, context);
    const [account, ssoPolicy] = await Promise.all([
      c.users.findOne({ emailKey, status: 'active' }, { projection: { _id: 1, email: 1, displayName: 1 } }),
      readSsoPolicy(c),
    ]);
    // An account that may not hold a password here is answered as no account at all.
    const refusedBySso = account !== null && !mayHoldPassword(ssoPolicy, account._id);
    const user = refusedBySso ? null : account;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.#ttlSeconds * 1000);
    const resetId = randomUUID();
    const token = `${resetId}.${randomBytes(32).toString('base64url')}`;
    const delivery: PasswordResetDelivery = {
      email: user?.email ?? email.trim(),
      ...(user?.displayName ? { displayName: user.displayName } : {}),
      token,
    };
    // Sealed in both branches (a fresh key each time): an unknown address must not answer sooner.
    const sealedDelivery = await sealDelivery(
      this.#sealer,
      c.tenant,
      PASSWORD_RESET_DELIVERY_PURPOSE,
      resetId,
      delivery,
    );
    const audit = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.password-reset-requested',
      outcome: user ? 'success' : 'failure',
      actor: { type: 'anonymous', id: 'password-reset-requester' },
      resource: { type: 'password-reset', id: resetId },
      subject: account?._id ?? UNKNOWN_ACCOUNTS_SUBJECT,
      context,
      metadata: user
        ? { userId: user._id }
        : refusedBySso
          ? { userId: account._id, reason: 'sso-required' }
          : { reason: 'no-active-account' },
    });
    const base = { _id: resetId, createdAt: now, expiresAt };
    if (user) {
      const request = createEvent(PasswordResetRequested, {
        tenant: c.tenant,
        source: AUDIT_SOURCE,
        ...(context.requestId ? { correlationId: context.requestId } : {}),
        payload: { resetId, expiresAt: expiresAt.toISOString(), sealedDelivery },
      });
      await c.passwordResets.insertOne(
        withOutbox<PasswordResetDocument>(
          { ...base, kind: 'reset', userId: user._id, tokenHash: hashToken(token) },
          [audit, request],
        ),
      );
    } else {
      await c.passwordResets.insertOne(
        withOutbox<PasswordResetDocument>({ ...base, kind: 'no-account' }, [audit]),
      );
    }
    return { status: 'reset-requested', detail: ACCEPTED_DETAIL, expiresIn: this.#ttlSeconds };
  }

  /** The link came back with a new password: set it, once, and end every session of the account. */
  async confirm(
    c: TenantCollections,
    token: string,
    password: string,
    context: RequestContext,
  ): Promise<void> {
    const resetId = /^([0-9a-f-]{36})\./.exec(token)?.[1];
    if (!resetId) throw invalidPasswordResetToken();
    const pending = await c.passwordResets.findOne({ _id: resetId, kind: 'reset' });
    if (
      !pending?.userId ||
      !pending.tokenHash ||
      pending.tokenHash !== hashToken(token) ||
      pending.expiresAt.getTime() <= Date.now()
    ) {
      throw invalidPasswordResetToken();
    }
    const [user, ssoPolicy] = await Promise.all([
      c.users.findOne({ _id: pending.userId, status: 'active' }),
      readSsoPolicy(c),
    ]);
    if (!user) throw invalidPasswordResetToken();
    // The link's holder owns the mailbox: telling them why is safe. The link stays unspent.
    if (!mayHoldPassword(ssoPolicy, user._id)) throw ssoRequired();
    // The policy before the link is spent: a refused password leaves the link usable.
    this.#accounts.assertNewPasswordAcceptable(c, user, password);
    const taken = await c.passwordResets.deleteOne({ _id: resetId, tokenHash: pending.tokenHash });
    if (taken.deletedCount !== 1) throw invalidPasswordResetToken();
    await this.#accounts.resetPassword(c, user, password, resetId, context);
    // The token's copy on the notifications topic becomes unreadable.
    await shredDeliveries(this.#sealer, c.tenant, [resetId]);
  }
}

type SsoPolicy = { requireSso?: boolean; breakGlassUserIds?: string[] } | null;

/** The tenant's single sign-on policy, as sign-in reads it (login.ts). */
function readSsoPolicy(c: TenantCollections): Promise<SsoPolicy> {
  return c.ssoProviders.findOne({ _id: 'oidc' }, { projection: { requireSso: 1, breakGlassUserIds: 1 } });
}

/** Whether an account may have a password: always, unless single sign-on is required and it is no break-glass admin. */
function mayHoldPassword(policy: SsoPolicy, userId: string): boolean {
  return policy?.requireSso !== true || (policy.breakGlassUserIds ?? []).includes(userId);
}
