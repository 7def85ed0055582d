/**
 * Signing keys in the platform database (`parley_platform.auth_signing_keys`): one Ed25519 key
 * per tenant per period, the public half as a JWK, the private half only as a keyring ciphertext
 * (sealed under the tenant's key, bound to the key id), never in clear.
 */
import type { JWK } from 'jose';
import type { Collection, Db } from 'mongodb';

export interface SigningKeyDocument {
  /** `<tenant>/<period number>`: one key per tenant per period, so racing replicas make one. */
  _id: string;
  tenant: string;
  period: number;
  kid: string;
  publicJwk: JWK;
  sealedPrivateKey: string;
  createdAt: Date;
  signFrom: Date;
  signUntil: Date;
  /** Published in the JWKS until every token it signed has expired. */
  publishUntil: Date;
}

export const SIGNING_KEYS_COLLECTION = 'auth_signing_keys';

export async function signingKeyCollection(platformDb: Db): Promise<Collection<SigningKeyDocument>> {
  const collection = platformDb.collection<SigningKeyDocument>(SIGNING_KEYS_COLLECTION);
  await collection.createIndex({ publishUntil: 1 }, { name: 'by_publish_until' });
  return collection;
}
