/**
 * Seals what a notifier must send (an address, a name, a link's token) under the tenant's keyring
 * key, bound to the id of the request it belongs to (the aad), so neither the outbox, the
 * `notifications` topic nor a log holds it in the clear, and a sealed delivery cannot be replayed
 * as another request's. A notifier holding the keyring opens it with the same purpose and id.
 */

/** Seals under the tenant's key (the keyring). */
export interface DeliverySealer {
  ensureTenantKey(tenant: string): Promise<unknown>;
  encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: { aad?: Uint8Array },
  ): Promise<Uint8Array>;
}

/** The delivery as JSON, sealed, base64 (what an event's `sealedDelivery` carries). */
export async function sealDelivery(
  sealer: DeliverySealer,
  tenant: string,
  purpose: string,
  boundTo: string,
  delivery: object,
): Promise<string> {
  await sealer.ensureTenantKey(tenant);
  const sealed = await sealer.encrypt(tenant, purpose, Buffer.from(JSON.stringify(delivery)), {
    aad: Buffer.from(boundTo),
  });
  return Buffer.from(sealed).toString('base64');
}
