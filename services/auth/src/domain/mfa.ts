/**
 * TOTP enrolment and its undoing. Enrolment is two steps (a pending secret, then a first code
 * proves the authenticator has it), and the answer to the first code is the ten recovery codes.
 * Starting an enrolment needs the password again (recent authentication): otherwise a stolen
 * access token could bind the thief's authenticator and keep the account after the password is
 * changed. A pending secret is good for ENROLMENT_TTL_MS. Turning MFA off and replacing recovery
 * codes need the password and a second factor again.
 */

import { ProblemError, problems } from '@parley/kit';
import { outboxPush } from '@parley/outbox';
import type { CredentialCache } from '../store/credential-cache.ts';
import type { TenantCollections, UserDocument } from '../store/tenant-store.ts';
import type { RequestContext, SecurityEvents } from './audit-records.ts';
import type { Reauthentication } from './reauthentication.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import type { SecondFactor, SecondFactorAnswer } from './second-factor.ts';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';

/** How long a pending enrolment (the secret shown by `enrol`) may be confirmed. */
export const ENROLMENT_TTL_MS = 10 * 60_000;

export class Mfa {
  readonly #secondFactor: SecondFactor;
  readonly #reauthentication: Reauthentication;
  readonly #issuerName: string;

  readonly #credentials: CredentialCache;
  readonly #events: SecurityEvents;

  constructor(
    secondFactor: SecondFactor,
    reauthentication: Reauthentication,
    credentials: CredentialCache,
    events: SecurityEvents,
    issuerName = 'Parley',
  ) {
    this.#events = events;
    this.#credentials = credentials;
    this.#secondFactor = secondFactor;
    this.#reauthentication = reauthentication;
    this.#issuerName = issuerName;
  }

  async enrol(
    c: TenantCollections,
    user: UserDocument,
    password: string,
    context: RequestContext,
  ): Promise<{ secret: string; otpauthUri: string }> {
    if (user.totp) throw problems.conflict('TOTP is already enabled; disable it first');
    // No second factor exists yet (one TOTP per user), so the password is the proof.
    await this.#reauthentication.require(c, user, { password }, context);
    const secret = newTotpSecret();
    const sealedSecret = await this.#secondFactor.seal(c.tenant, user._id, secret);
    await c.users.updateOne(
      { _id: user._id },
      { $set: { totpPending: { sealedSecret, createdAt: new Date() }, updatedAt: new Date() } },
    );
    return { secret, otpauthUri: totpUri(secret, `${this.#issuerName} ${c.tenant}`, user.email) };
  }

  async confirm(
    c: TenantCollections,
    user: UserDocument,
    code: string,
    context: RequestContext,
  ): Promise<{ recoveryCodes: string[] }> {
    if (user.totp) throw problems.conflict('TOTP is already enabled');
    const pending = user.totpPending;
    if (!pending) throw problems.conflict('Start TOTP enrolment first');
    if (Date.now() - pending.createdAt.getTime() > ENROLMENT_TTL_MS) {
      throw problems.conflict('The enrolment expired; start again');
    }
    const secret = await this.#secondFactor.open(c.tenant, user._id, pending.sealedSecret);
    const check = await checkTotp(secret, code, undefined);
    if (!check.valid) {
      throw new ProblemError(
        400,
        'invalid-second-factor',
        'Invalid code',
        'The code does not match the new secret',
      );
    }
    const recoveryCodes = newRecoveryCodes();
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.mfa-enrolled',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'user', id: user._id },
      context,
      metadata: { method: 'totp' },
    });
    const result = await this.#credentials.changing(c.tenant, user.emailKey, () =>
      c.users.updateOne(
        {
          _id: user._id,
          totp: { $exists: false },
          'totpPending.sealedSecret': pending.sealedSecret,
        },
        outboxPush([event], {
          $set: {
            totp: {
              sealedSecret: pending.sealedSecret,
              enrolledAt: new Date(),
              lastTimeStep: check.timeStep,
            },
            recoveryCodeHashes: recoveryCodes.map((code) => hashRecoveryCode(user._id, code)),
            updatedAt: new Date(),
          },
          $unset: { totpPending: '' },
        }),
      ),
    );
    if (result.modifiedCount !== 1) throw problems.conflict('Enrolment changed meanwhile; start again');
    return { recoveryCodes };
  }

  async disable(
    c: TenantCollections,
    user: UserDocument,
    proof: { password: string } & SecondFactorAnswer,
    context: RequestContext,
  ): Promise<void> {
    if (!user.totp) throw problems.conflict('TOTP is not enabled');
    await this.#reauthentication.require(c, user, proof, context);
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.mfa-disabled',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'user', id: user._id },
      context,
      metadata: { method: 'totp' },
    });
    await this.#credentials.changing(c.tenant, user.emailKey, () =>
      c.users.updateOne(
        { _id: user._id },
        outboxPush([event], {
          $unset: { totp: '', totpPending: '', recoveryCodeHashes: '' },
          $set: { updatedAt: new Date() },
        }),
      ),
    );
  }

  async regenerateRecoveryCodes(
    c: TenantCollections,
    user: UserDocument,
    proof: { password: string } & SecondFactorAnswer,
    context: RequestContext,
  ): Promise<{ recoveryCodes: string[] }> {
    if (!user.totp) throw problems.conflict('TOTP is not enabled');
    await this.#reauthentication.require(c, user, proof, context);
    const recoveryCodes = newRecoveryCodes();
    const event = await this.#events.create({
      tenant: c.tenant,
      action: 'auth.security.recovery-codes-regenerated',
      outcome: 'success',
      actor: { type: 'user', id: user._id },
      resource: { type: 'user', id: user._id },
      context,
    });
    await c.users.updateOne(
      { _id: user._id },
      outboxPush([event], {
        $set: {
          recoveryCodeHashes: recoveryCodes.map((code) => hashRecoveryCode(user._id, code)),
          updatedAt: new Date(),
        },
      }),
    );
    return { recoveryCodes };
  }
}
