/**
 * Loaded keys, kept in memory for a short TTL: a key document and the versions unwrapped so far.
 * A rotation elsewhere reaches this process through a `crypto.key.*` event (invalidate) or, at
 * the latest, when the TTL runs out; a rotation here invalidates at once.
 */
import type { KeyObject } from 'node:crypto';
import type { KeyDocument } from './key-store.ts';

export interface CachedKey {
  doc: KeyDocument;
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

  put(doc: KeyDocument): CachedKey {
    const entry: CachedKey = { doc, unwrapped: new Map(), expiresAt: this.now() + this.ttlMs };
    if (this.ttlMs > 0) this.entries.set(doc._id, entry);
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
