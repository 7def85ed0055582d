/**
 * Legal holds: a duty to preserve that outranks every deletion. A hold covers a person, a
 * conversation, or a whole tenant, records why and who set it, and is lifted (never deleted) so
 * the record of it survives. Every deletion path asks a HoldSet before it deletes: retention,
 * user deletion, GDPR erasure and crypto-shredding.
 */
import { type Static, Type } from 'typebox';

export const LegalHoldScopeSchema = Type.Union([
  Type.Object({ kind: Type.Literal('tenant') }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('person'), userId: Type.String({ minLength: 1, maxLength: 200 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('conversation'), conversationId: Type.String({ minLength: 1, maxLength: 200 }) },
    { additionalProperties: false },
  ),
]);
export type LegalHoldScope = Static<typeof LegalHoldScopeSchema>;

export const LegalHoldSchema = Type.Object({
  id: Type.String(),
  scope: LegalHoldScopeSchema,
  reason: Type.String({ minLength: 1, maxLength: 2000 }),
  setBy: Type.String({ minLength: 1, maxLength: 200 }),
  setAt: Type.String({ format: 'date-time' }),
  liftedAt: Type.Optional(Type.String({ format: 'date-time' })),
  liftedBy: Type.Optional(Type.String()),
  liftReason: Type.Optional(Type.String()),
});
export type LegalHold = Static<typeof LegalHoldSchema>;

/** What a deletion is about to remove: the conversation it belongs to and the people it concerns. */
export interface HeldItemKeys {
  conversationId?: string | undefined;
  subjects?: readonly string[] | undefined;
}

/** Thrown by a deletion path that a hold blocks; carries the holds as the legal exemption. */
export class LegalHoldError extends Error {
  readonly holds: LegalHold[];
  constructor(what: string, holds: LegalHold[]) {
    super(`${what} is under legal hold (${holds.map((h) => `${h.id}: ${h.reason}`).join('; ')})`);
    this.name = 'LegalHoldError';
    this.holds = holds;
  }
}

/** The active holds of one tenant at one moment, answering "may this be deleted?". */
export class HoldSet {
  readonly holds: readonly LegalHold[];
  readonly #tenantWide: LegalHold[];
  readonly #people = new Map<string, LegalHold[]>();
  readonly #conversations = new Map<string, LegalHold[]>();

  constructor(holds: readonly LegalHold[]) {
    this.holds = holds.filter((h) => !h.liftedAt);
    this.#tenantWide = this.holds.filter((h) => h.scope.kind === 'tenant');
    for (const hold of this.holds) {
      if (hold.scope.kind === 'person') push(this.#people, hold.scope.userId, hold);
      if (hold.scope.kind === 'conversation') push(this.#conversations, hold.scope.conversationId, hold);
    }
  }

  /** The holds that forbid deleting an item; empty when it may go. */
  covering(item: HeldItemKeys): LegalHold[] {
    const found = [...this.#tenantWide];
    if (item.conversationId) found.push(...(this.#conversations.get(item.conversationId) ?? []));
    for (const subject of item.subjects ?? []) found.push(...(this.#people.get(subject) ?? []));
    return found;
  }

  isHeld(item: HeldItemKeys): boolean {
    return this.covering(item).length > 0;
  }

  /** Holds that block erasing or crypto-shredding a person: theirs and the tenant's. */
  coveringPerson(userId: string): LegalHold[] {
    return this.covering({ subjects: [userId] });
  }

  assertNotHeld(what: string, item: HeldItemKeys): void {
    const holds = this.covering(item);
    if (holds.length > 0) throw new LegalHoldError(what, holds);
  }

  get isEmpty(): boolean {
    return this.holds.length === 0;
  }
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
