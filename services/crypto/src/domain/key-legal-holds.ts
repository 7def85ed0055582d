/**
 * Which legal holds cover a key, read from the tenant's own database through @parley/retention
 * (the one owner of holds), for the keyring's destruction checks. A person's key
 * (`subject:<userId>`) is covered by a hold on that person or on the whole tenant; the tenant's
 * own keys (`default`, ...) only by a tenant-wide hold.
 */
import { type DestructionHoldCheck, SUBJECT_KEY_PREFIX } from '@parley/keyring';
import { LegalHoldStore } from '@parley/retention';
import type { MongoClient } from 'mongodb';

export function legalHoldsOnKeys(client: MongoClient): DestructionHoldCheck {
  return async (tenant, keyName) => {
    // Read on every call, never cached: a hold placed a moment ago must stop a destruction now.
    const holds = await new LegalHoldStore(client, tenant).active();
    const covering = keyName.startsWith(SUBJECT_KEY_PREFIX)
      ? holds.coveringPerson(keyName.slice(SUBJECT_KEY_PREFIX.length))
      : holds.covering({});
    return covering.map((hold) => ({ id: hold.id, reason: hold.reason }));
  };
}
