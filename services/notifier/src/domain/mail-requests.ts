/**
 * What each delivery request on a notifications topic asks to be written: the event's sealed
 * delivery opened with the keyring (the purpose of its kind, bound to the request's id, as auth
 * sealed it: delivery-sealing.ts there), checked against its schema, and turned into a MailRequest.
 * The opened delivery lives only in memory here; nothing of it is stored or logged.
 */
import {
  type EventEnvelope,
  INVITATION_DELIVERY_PURPOSE,
  InvitationDeliveryRequested,
  InvitationDeliverySchema,
  NEW_DEVICE_DELIVERY_PURPOSE,
  NewDeviceDeliverySchema,
  NewDeviceSignIn,
  PASSWORD_RESET_DELIVERY_PURPOSE,
  PasswordResetDeliverySchema,
  PasswordResetRequested,
  parseEvent,
  SIGN_UP_DELIVERY_PURPOSE,
  SignUpAccountExists,
  SignUpDeliverySchema,
  SignUpVerificationRequested,
} from '@parley/contracts';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

export type MailKind =
  | 'invitation'
  | 'sign-up-verification'
  | 'account-exists'
  | 'password-reset'
  | 'new-device';
export const MAIL_KINDS: readonly MailKind[] = [
  'invitation',
  'sign-up-verification',
  'account-exists',
  'password-reset',
  'new-device',
];

export interface MailRequest {
  kind: MailKind;
  /** The request's id (invitation, sign-up or reset id). */
  requestId: string;
  to: string;
  displayName?: string;
  /** The secret the link carries (all kinds but account-exists). */
  token?: string;
  roles?: string[];
  /** When the link expires; for a new-device notice, when the sign-in happened. */
  expiresAt: string;
  /** A new-device notice's device (the sign-in's user agent). */
  device?: string;
}

/** Opens a sealed delivery (the keyring's decrypt). */
export interface DeliveryOpener {
  decrypt(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array },
  ): Promise<Uint8Array>;
}

/** Why a record is not a mail to send: counted and logged (without its payload), never retried. */
export type SkipReason = 'unknown-type' | 'invalid-event' | 'unreadable-delivery';

export class NotAMailRequest extends Error {
  readonly reason: SkipReason;
  constructor(reason: SkipReason) {
    super(reason);
    this.reason = reason;
  }
}

const checkers = new Map<TSchema, ReturnType<typeof Compile>>();
function matches(schema: TSchema, value: unknown): boolean {
  let checker = checkers.get(schema);
  if (!checker) {
    checker = Compile(schema);
    checkers.set(schema, checker);
  }
  return checker.Check(value);
}

async function open(
  opener: DeliveryOpener,
  tenant: string,
  purpose: string,
  boundTo: string,
  sealed: string,
  schema: TSchema,
): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    const plaintext = await opener.decrypt(tenant, purpose, Buffer.from(sealed, 'base64'), {
      aad: Buffer.from(boundTo),
    });
    value = JSON.parse(Buffer.from(plaintext).toString('utf8'));
  } catch {
    // A shredded key (the person was erased), another request's delivery, or garbage: never sent.
    throw new NotAMailRequest('unreadable-delivery');
  }
  if (!matches(schema, value)) throw new NotAMailRequest('unreadable-delivery');
  return value as Record<string, unknown>;
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch {
    throw new NotAMailRequest('invalid-event');
  }
}

export async function mailRequestOf(opener: DeliveryOpener, event: EventEnvelope): Promise<MailRequest> {
  const { tenant } = event;
  switch (event.type) {
    case InvitationDeliveryRequested.type: {
      const { payload } = parsed(() => parseEvent(InvitationDeliveryRequested, event));
      const d = await open(
        opener,
        tenant,
        INVITATION_DELIVERY_PURPOSE,
        payload.invitationId,
        payload.sealedDelivery,
        InvitationDeliverySchema,
      );
      return {
        kind: 'invitation',
        requestId: payload.invitationId,
        to: d.email as string,
        token: d.token as string,
        roles: d.roles as string[],
        expiresAt: payload.expiresAt,
      };
    }
    case SignUpVerificationRequested.type:
    case SignUpAccountExists.type: {
      const definition =
        event.type === SignUpAccountExists.type ? SignUpAccountExists : SignUpVerificationRequested;
      const { payload } = parsed(() => parseEvent(definition, event));
      const d = await open(
        opener,
        tenant,
        SIGN_UP_DELIVERY_PURPOSE,
        payload.signUpId,
        payload.sealedDelivery,
        SignUpDeliverySchema,
      );
      const verification = definition === SignUpVerificationRequested;
      if (verification && typeof d.token !== 'string') throw new NotAMailRequest('unreadable-delivery');
      return {
        kind: verification ? 'sign-up-verification' : 'account-exists',
        requestId: payload.signUpId,
        to: d.email as string,
        ...(typeof d.displayName === 'string' ? { displayName: d.displayName } : {}),
        ...(verification ? { token: d.token as string } : {}),
        expiresAt: payload.expiresAt,
      };
    }
    case PasswordResetRequested.type: {
      const { payload } = parsed(() => parseEvent(PasswordResetRequested, event));
      const d = await open(
        opener,
        tenant,
        PASSWORD_RESET_DELIVERY_PURPOSE,
        payload.resetId,
        payload.sealedDelivery,
        PasswordResetDeliverySchema,
      );
      return {
        kind: 'password-reset',
        requestId: payload.resetId,
        to: d.email as string,
        ...(typeof d.displayName === 'string' ? { displayName: d.displayName } : {}),
        token: d.token as string,
        expiresAt: payload.expiresAt,
      };
    }
    case NewDeviceSignIn.type: {
      const { payload } = parsed(() => parseEvent(NewDeviceSignIn, event));
      const d = await open(
        opener,
        tenant,
        NEW_DEVICE_DELIVERY_PURPOSE,
        payload.userId,
        payload.sealedDelivery,
        NewDeviceDeliverySchema,
      );
      return {
        kind: 'new-device',
        // One notice per session: the session id keys the delivery log's idempotence.
        requestId: payload.sessionId,
        to: d.email as string,
        ...(typeof d.displayName === 'string' ? { displayName: d.displayName } : {}),
        device: d.device as string,
        expiresAt: payload.signedInAt,
      };
    }
    default:
      throw new NotAMailRequest('unknown-type');
  }
}
