/**
 * Security events that belong to no other document (a failed login, a lockout) get a small
 * document of their own, so they too travel through the outbox and are never lost.
 */
import type { EventEnvelope } from '@parley/contracts';
import { withOutbox } from '@parley/outbox';
import type { TenantCollections } from '../store/tenant-store.ts';

export async function recordSecurityEvents(c: TenantCollections, events: EventEnvelope[]): Promise<void> {
  const [first] = events;
  if (!first) return;
  const action = (first.payload as { action?: string }).action ?? first.type;
  await c.securityEvents.insertOne(withOutbox({ _id: first.id, action, at: new Date() }, events));
}
