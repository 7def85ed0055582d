/**
 * New-device sign-in notices: when a user signs in from a device (user agent) their account has
 * not used before, a `auth.sign-in.new-device.v1` event asks the notifier to mail them, so a
 * stolen password used elsewhere does not go unseen. The device is the SHA-256 of the user agent
 * (the address is left out: mobile and NAT addresses change all day, and would mail at every
 * sign-in); an account keeps its last MAX_KNOWN_DEVICES. The first sign-in of an account only
 * records its device (the person just joined: nothing to warn about).
 *
 * The delivery (address, name, device) is sealed under the user's own key `subject:<user id>`
 * (delivery-sealing.ts), so erasure makes notices on the topic unreadable at once. The event
 * travels in the new session's own outbox (Sessions.open), written with the session; the device
 * list is updated just before (a crash in between loses one notice).
 */
import { createHash } from 'node:crypto';
import {
  createEvent,
  type EventEnvelope,
  NEW_DEVICE_DELIVERY_PURPOSE,
  NewDeviceSignIn,
} from '@parley/contracts';
import type { TenantCollections } from '../store/tenant-store.ts';
import { AUDIT_SOURCE, type RequestContext } from './audit-records.ts';
import { type DeliverySealer, sealDelivery } from './delivery-sealing.ts';

const MAX_KNOWN_DEVICES = 20;
const UNKNOWN_DEVICE = 'an unknown device';

export class NewDeviceNotices {
  readonly #sealer: DeliverySealer;

  constructor(sealer: DeliverySealer) {
    this.#sealer = sealer;
  }

  /** The notice to send with this new session, if its device is new to the account. */
  async noticeFor(
    c: TenantCollections,
    userId: string,
    sessionId: string,
    context: RequestContext,
  ): Promise<EventEnvelope | undefined> {
    const device = context.userAgent?.trim().slice(0, 300) || UNKNOWN_DEVICE;
    const fingerprint = createHash('sha256').update(device).digest('hex');
    const before = await c.users.findOne(
      { _id: userId },
      { projection: { email: 1, displayName: 1, knownDevices: 1 } },
    );
    const known = before?.knownDevices ?? [];
    if (!before || known.includes(fingerprint)) return undefined;
    // A plain $set of the new list (FerretDB serves no $push with $slice); two first sign-ins from
    // one new device at the same instant may both send a notice, which errs on the side of telling.
    await c.users.updateOne(
      { _id: userId },
      { $set: { knownDevices: [...known, fingerprint].slice(-MAX_KNOWN_DEVICES) } },
    );
    if (known.length === 0) return undefined;
    const sealedDelivery = await sealDelivery(this.#sealer, c.tenant, NEW_DEVICE_DELIVERY_PURPOSE, userId, {
      email: before.email,
      ...(before.displayName ? { displayName: before.displayName } : {}),
      device,
    });
    return createEvent(NewDeviceSignIn, {
      tenant: c.tenant,
      source: AUDIT_SOURCE,
      ...(context.requestId ? { correlationId: context.requestId } : {}),
      payload: { userId, sessionId, signedInAt: new Date().toISOString(), sealedDelivery },
    });
  }
}
