/**
 * Loaded keys, kept in memory for a short TTL: a key's snapshot and the versions unwrapped so far.
 * A change made elsewhere reaches this process through a `crypto.key.*` event (invalidate) or, at
 * the latest, when the TTL runs out; a change made here invalidates at once. Bounded (LRU), since
 * there is a key per person (subject keys) and most are touched once.
 */
import type { KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KeySnapshot } from './key-snapshot.ts';

export interface CachedKey {
  id: string;
  snapshot: KeySnapshot;
  unwrapped: Map<number, KeyObject>;
}

export const DEFAULT_KEY_CACHE_SIZE = 10_000;

export class KeyCache {
  private readonly entries: LRUCache<string, CachedKey> | undefined;

  constructor(ttlMs: number, maxEntries = DEFAULT_KEY_CACHE_SIZE) {
    // A TTL of 0 means no caching at all (every use reads the store).
    this.entries = ttlMs > 0 ? new LRUCache({ max: maxEntries, ttl: ttlMs }) : undefined;
  }

  get(id: string): CachedKey | undefined {
    return this.entries?.get(id);
  }

  put(id: string, snapshot: KeySnapshot): CachedKey {
    const entry: CachedKey = { id, snapshot, unwrapped: new Map() };
    this.entries?.set(id, entry);
    return entry;
  }

  delete(id: string): void {
    this.entries?.delete(id);
  }

  /** Drops every key of a tenant (a prefix match on `<tenant>/`). */
  deleteTenant(tenant: string): void {
    if (!this.entries) return;
    for (const id of [...this.entries.keys()]) if (id.startsWith(`${tenant}/`)) this.entries.delete(id);
  }

  clear(): void {
    this.entries?.clear();
  }
}
