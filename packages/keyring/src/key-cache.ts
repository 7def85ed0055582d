/**
 * Loaded keys, kept in memory for a short TTL: a key's snapshot and the versions unwrapped so far.
 * A change made elsewhere reaches this process through a `crypto.key.*` event (invalidate) or, at
 * the latest, when the TTL runs out; a change made here invalidates at once.
 */
import type { KeyObject } from 'node:crypto';
import type { KeySnapshot } from './key-snapshot.ts';

export interface CachedKey {
  id: string;
  snapshot: KeySnapshot;
  unwrapped: Map<number, KeyObject>;
  expiresAt: number;
}

export class KeyCache {
  private readonly entries = new Map<string, CachedKey>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  get(id: string): CachedKey | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  put(id: string, snapshot: KeySnapshot): CachedKey {
    const entry: CachedKey = { id, snapshot, unwrapped: new Map(), expiresAt: this.now() + this.ttlMs };
    if (this.ttlMs > 0) this.entries.set(id, entry);
    return entry;
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  /** Drops every key of a tenant (a prefix match on `<tenant>/`). */
  deleteTenant(tenant: string): void {
    for (const id of this.entries.keys()) if (id.startsWith(`${tenant}/`)) this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }
}
