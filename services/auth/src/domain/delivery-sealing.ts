/**
 * Seals what a notifier must send (an address, a name, a link's token) under the keyring key of
 * the person the request is for, `subject:<request id>`, bound to that id (the aad), so neither
 * the outbox, the `notifications` topic nor a log holds it in the clear, and a sealed delivery
 * cannot be replayed as another request's. A notifier holding the keyring opens it with the same
 * purpose and id (the key's name travels in the ciphertext).
 *
 * Why the person's key and not the tenant's: the topic keeps its messages 7 days, and a sealed
 * delivery under the tenant's default key stayed readable that long after the person's erasure.
 * A sign-up's id becomes the new user's id and an invitation's id the invitee's, so the
 * person's erasure (compliance crypto-shreds `subject:<user id>`) makes the delivery unreadable
 * at once. Requests that never became that person's account (an account-exists notice, another
 * invitation to the address, a sign-up never verified) are shredded by auth itself: at the
 * address's erasure (`shredDeliveries`, personal-data.ts) or when the sign-up expires
 * (sign-up-sweeper.ts).
 */
import { KeyDestroyedError, subjectKeyName, UnknownKeyError } from '@parley/keyring';

/** Seals under one person's key (the keyring). */
export interface DeliverySealer {
  ensureTenantKey(tenant: string, keyName?: string): Promise<unknown>;
  encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: { keyName?: string; aad?: Uint8Array },
  ): Promise<Uint8Array>;
}

/** Crypto-shreds keys (the keyring). */
export interface DeliveryShredder {
  scheduleDestruction(tenant: string, keyName: string, options: { waitingDays: number }): Promise<unknown>;
}

/** The keyring's shortest waiting period; the key can be used by nobody meanwhile. */
const WAITING_DAYS = 7;

/** The delivery as JSON, sealed under `subject:<boundTo>`, base64 (what an event's `sealedDelivery` carries). */
export async function sealDelivery(
  sealer: DeliverySealer,
  tenant: string,
  purpose: string,
  boundTo: string,
  delivery: object,
): Promise<string> {
  const keyName = subjectKeyName(boundTo);
  await sealer.ensureTenantKey(tenant, keyName);
  const sealed = await sealer.encrypt(tenant, purpose, Buffer.from(JSON.stringify(delivery)), {
    keyName,
    aad: Buffer.from(boundTo),
  });
  return Buffer.from(sealed).toString('base64');
}

/**
 * Makes the deliveries of these requests unreadable wherever they are (outbox, topic): their keys
 * are scheduled for destruction, which refuses every use at once. Idempotent; a request whose key
 * never existed or is gone already is skipped.
 */
export async function shredDeliveries(
  shredder: DeliveryShredder,
  tenant: string,
  requestIds: Iterable<string>,
): Promise<void> {
  for (const id of new Set(requestIds)) {
    try {
      await shredder.scheduleDestruction(tenant, subjectKeyName(id), { waitingDays: WAITING_DAYS });
    } catch (error) {
      if (!(error instanceof UnknownKeyError) && !(error instanceof KeyDestroyedError)) throw error;
    }
  }
}
