import { describe, expect, it } from 'vitest';
import { createEvent, parseEvent } from '../event-envelope.ts';
import {
  AUTH_NOTIFICATION_EVENT_TYPES,
  InvitationDeliveryRequested,
  NewDeviceSignIn,
  PasswordResetRequested,
  SignUpAccountExists,
  SignUpVerificationRequested,
} from './auth.ts';

describe('auth delivery events', () => {
  it('round-trips an invitation delivery request, whose only personal content is sealed', () => {
    const payload = {
      invitationId: '2b1f7a52-32c6-4d5e-9a55-0f1f2d3c4b5a',
      expiresAt: new Date('2026-12-01T00:00:00Z').toISOString(),
      sealedDelivery: Buffer.from('ciphertext').toString('base64'),
    };
    const event = createEvent(InvitationDeliveryRequested, { tenant: 'acme', source: 'auth', payload });
    expect(event.type).toBe('auth.invitation.delivery-requested.v1');
    expect(parseEvent(InvitationDeliveryRequested, JSON.parse(JSON.stringify(event))).payload).toEqual(
      payload,
    );
    // A clear-text address or token has no place in the payload.
    expect(() =>
      parseEvent(InvitationDeliveryRequested, { ...event, payload: { ...payload, email: 'a@example.com' } }),
    ).toThrow(/payload/);
  });

  it('names every delivery request a notifier consumes', () => {
    expect([...AUTH_NOTIFICATION_EVENT_TYPES].sort()).toEqual(
      [
        InvitationDeliveryRequested.type,
        NewDeviceSignIn.type,
        PasswordResetRequested.type,
        SignUpAccountExists.type,
        SignUpVerificationRequested.type,
      ].sort(),
    );
  });
});
