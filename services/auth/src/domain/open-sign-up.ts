/**
 * Open sign-up without user enumeration, as Keycloak and Ory Kratos users keep asking for
 * (OWASP Authentication Cheat Sheet, "account creation"): a sign-up used to answer 409 for an
 * e-mail that had an account, so anyone could test addresses. Now every acceptable request gets
 * the same 202 and the same body, after the same work (one user lookup, one argon2id hash, one
 * seal, one insert), and what differs goes only to the address itself:
 * - a new address gets a pending registration and a link to finish it (`verification`): the
 *   account exists only once the link's token comes back, which proves the address is the
 *   requester's;
 * - an address with an account (active, suspended, whatever its state) gets a notice instead
 *   (`account-exists`: "someone tried to sign up with your address; sign in or reset your
 *   password"), and nothing else happens.
 * Writing to the address is a notifier's job: each request's document carries the event that asks
 * for it in its outbox (`auth.sign-up.*`, packages/contracts), which the outbox relay publishes to
 * the tenant's `notifications` topic, with what to send (address, name, token) sealed by the
 * tenant's keyring key and bound to the sign-up id, so no outbox, topic or log ever holds the token
 * or the address in the clear. Requests are capped per address and per source (sign-up-throttle.ts),
 * alike whether or not the address has an account.
 * The link's token is `<sign-up id>.<256 random bits>`, stored only as its SHA-256, single use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createEvent,
  type EventDefinition,
  SIGN_UP_DELIVERY_PURPOSE,
  type SignUpAccepted,
  SignUpAccountExists,
  type SignUpDelivery,
  SignUpVerificationRequested,
} from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import type { SignUpDocument, TenantCollections, UserDocument } from '../store/tenant-store.ts';
import { normaliseEmail } from '../store/tenant-store.ts';
import type { Accounts } from './accounts.ts';
import { AUDIT_SOURCE, type RequestContext } from './audit-records.ts';
import { type DeliverySealer, sealDelivery } from './delivery-sealing.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { assertAcceptablePassword } from './password-policy.ts';
import { hashToken } from './refresh-tokens.ts';
import type { SignUpThrottle } from './sign-up-throttle.ts';

export const invalidSignUpToken = () =>
  new ProblemError(
    400,
    'invalid-sign-up-token',
    'Invalid sign-up link',
    'The link is unknown, used or expired',
  );

const ACCEPTED_DETAIL =
  'If this address can be used here, a message to finish signing up has been sent to it.';

export class OpenSignUp {
  readonly #hasher: PasswordHasher;
  readonly #accounts: Accounts;
  readonly #sealer: DeliverySealer;
  readonly #throttle: SignUpThrottle;
  readonly #ttlSeconds: number;

  constructor(options: {
    hasher: PasswordHasher;
    accounts: Accounts;
    sealer: DeliverySealer;
    throttle: SignUpThrottle;
    ttlSeconds: number;
  }) {
    this.#hasher = options.hasher;
    this.#accounts = options.accounts;
    this.#sealer = options.sealer;
    this.#throttle = options.throttle;
    this.#ttlSeconds = options.ttlSeconds;
  }

  /** The same answer for every acceptable request; see the file's header for what happens behind it. */
  async request(
    c: TenantCollections,
    fields: { email: string; password: string; displayName: string },
    context: RequestContext,
  ): Promise<SignUpAccepted> {
    // Depends only on what was sent, so refusing a weak password says nothing about the address.
    assertAcceptablePassword(fields.password, { email: fields.email, tenant: c.tenant });
    const email = fields.email.trim();
    const emailKey = normaliseEmail(email);
    // Before the lookup, and counted for every address alike: a 429 tells nothing about accounts.
    await this.#throttle.admit(c.tenant, emailKey, context);
    // Both branches hash: a known address must not answer sooner for skipping argon2id.
    const [existing, passwordHash] = await Promise.all([
      c.users.findOne({ emailKey }, { projection: { _id: 1 } }),
      this.#hasher.hash(fields.password),
    ]);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.#ttlSeconds * 1000);
    const signUpId = randomUUID();
    const base = { _id: signUpId, emailKey, createdAt: now, expiresAt };
    if (existing) {
      const notice = await this.#event(
        c.tenant,
        SignUpAccountExists,
        signUpId,
        expiresAt,
        { email },
        context,
      );
      await c.signUps.insertOne(withOutbox<SignUpDocument>({ ...base, kind: 'account-exists' }, [notice]));
    } else {
      const token = `${signUpId}.${randomBytes(32).toString('base64url')}`;
      const delivery = { email, displayName: fields.displayName, token };
      const request = await this.#event(
        c.tenant,
        SignUpVerificationRequested,
        signUpId,
        expiresAt,
        delivery,
        context,
      );
      await c.signUps.insertOne(
        withOutbox<SignUpDocument>(
          {
            ...base,
            kind: 'verification',
            email,
            displayName: fields.displayName,
            passwordHash,
            tokenHash: hashToken(token),
          },
          [request],
        ),
      );
    }
    return { status: 'verification-pending', detail: ACCEPTED_DETAIL, expiresIn: this.#ttlSeconds };
  }

  /** The link came back: the pending registration becomes an active member (its id the user's id). */
  async verify(c: TenantCollections, token: string, context: RequestContext): Promise<UserDocument> {
    const signUpId = /^([0-9a-f-]{36})\./.exec(token)?.[1];
    if (!signUpId) throw invalidSignUpToken();
    const pending = await c.signUps.findOne({ _id: signUpId, kind: 'verification' });
    if (
      !pending?.email ||
      !pending.passwordHash ||
      pending.displayName === undefined ||
      pending.tokenHash !== hashToken(token) ||
      pending.expiresAt.getTime() <= Date.now()
    ) {
      throw invalidSignUpToken();
    }
    // Single use: only the request that removes the pending registration goes on (a second
    // account for the same address would be refused by the unique e-mail index anyway).
    const taken = await c.signUps.deleteOne({ _id: signUpId, tokenHash: pending.tokenHash });
    if (taken.deletedCount !== 1) throw invalidSignUpToken();
    return this.#accounts.insert(
      c,
      {
        email: pending.email,
        passwordHash: pending.passwordHash,
        displayName: pending.displayName,
        roles: ['member'],
      },
      'sign-up',
      context,
      signUpId,
    );
  }

  async #event(
    tenant: string,
    definition: typeof SignUpVerificationRequested | typeof SignUpAccountExists,
    signUpId: string,
    expiresAt: Date,
    delivery: SignUpDelivery,
    context: RequestContext,
  ) {
    const sealedDelivery = await sealDelivery(
      this.#sealer,
      tenant,
      SIGN_UP_DELIVERY_PURPOSE,
      signUpId,
      delivery,
    );
    return createEvent(definition as EventDefinition<typeof SignUpVerificationRequested.payload>, {
      tenant,
      source: AUDIT_SOURCE,
      ...(context.requestId ? { correlationId: context.requestId } : {}),
      payload: {
        signUpId,
        expiresAt: expiresAt.toISOString(),
        sealedDelivery,
      },
    });
  }
}
