// Which records become which deliveries: the message event types map to the webhook types,
// reactions, tombstones and garbage make none, an endpoint's type and conversation filters
// apply, an endpoint made after the event does not get it, and a delete carries no body.
import {
  createEvent,
  MemberChangedEvent,
  type MemberChangedPayload,
  type MessageChangedPayload,
  MessageCreatedEvent,
  MessageDeletedEvent,
  MessageReactedEvent,
} from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import type { WebhookEndpointDocument } from '../domain/webhook-endpoints.ts';
import { deliveriesFor, webhookEventOf } from './webhook-events-consumer.ts';

const at = new Date('2026-12-03T12:00:00.000Z');
const payload: MessageChangedPayload = {
  conversationId: 'c1',
  messageId: 'm1',
  seq: 1,
  messageSeq: 1,
  kind: 'message.created',
  senderId: 'u1',
  actorId: 'u1',
  at: at.toISOString(),
  createdAt: at.toISOString(),
  deleted: false,
  sealed: 'c2VhbGVk',
  mentions: { users: [], channel: false },
};
const record = (definition: typeof MessageCreatedEvent, extra: Partial<MessageChangedPayload> = {}) =>
  Buffer.from(
    JSON.stringify(
      createEvent(definition, {
        tenant: 'acme',
        source: 'messaging',
        payload: { ...payload, ...extra },
        time: at,
      }),
    ),
  );
const endpoint = (fields: Partial<WebhookEndpointDocument>): WebhookEndpointDocument => ({
  _id: 'e1',
  url: 'https://example.com/hook',
  eventTypes: ['message.created', 'message.edited', 'message.deleted'],
  sealedSecret: '',
  createdAt: new Date(at.getTime() - 1_000),
  createdBy: 'admin',
  ...fields,
});

describe('webhookEventOf / deliveriesFor', () => {
  it('maps message events; passes over reactions, tombstones and garbage', () => {
    expect(webhookEventOf(record(MessageCreatedEvent))?.type).toBe('message.created');
    expect(
      webhookEventOf(record(MessageDeletedEvent, { deleted: true, kind: 'message.deleted' }))?.type,
    ).toBe('message.deleted');
    expect(webhookEventOf(record(MessageReactedEvent))).toBeUndefined();
    expect(webhookEventOf(null)).toBeUndefined();
    expect(webhookEventOf(Buffer.from('not json'))).toBeUndefined();
  });

  it('applies the type and conversation filters and the creation time', () => {
    const event = webhookEventOf(record(MessageCreatedEvent));
    if (!event) throw new Error('no event');
    const made = deliveriesFor(event, [
      endpoint({ _id: 'all' }),
      endpoint({ _id: 'edits', eventTypes: ['message.edited'] }),
      endpoint({ _id: 'c1', conversationIds: ['c1'] }),
      endpoint({ _id: 'c2', conversationIds: ['c2'] }),
      endpoint({ _id: 'later', createdAt: new Date(at.getTime() + 1) }),
    ]);
    expect(made.map((d) => d.endpointId)).toEqual(['all', 'c1']);
    expect(made[0]).toMatchObject({ eventId: event.id, eventType: 'message.created', sealed: 'c2VhbGVk' });
  });

  it('keeps no body for a delete', () => {
    const event = webhookEventOf(record(MessageDeletedEvent, { deleted: true, kind: 'message.deleted' }));
    if (!event) throw new Error('no event');
    expect(deliveriesFor(event, [endpoint({})])[0]).not.toHaveProperty('sealed');
  });

  it('maps membership: joined and added to member.joined, left and removed to member.removed, a role change to member.role-changed', () => {
    const member = (change: MemberChangedPayload['change'], role?: 'member' | 'admin') =>
      Buffer.from(
        JSON.stringify(
          createEvent(MemberChangedEvent, {
            tenant: 'acme',
            source: 'messaging',
            payload: {
              conversationId: 'c1',
              userId: 'u2',
              actorId: 'u1',
              change,
              ...(role ? { role } : {}),
              atSeq: 3,
              at: at.toISOString(),
            },
            time: at,
          }),
        ),
      );
    const added = webhookEventOf(member('added', 'member'));
    expect(added).toMatchObject({
      type: 'member.joined',
      member: { conversationId: 'c1', userId: 'u2', actorId: 'u1', change: 'added', role: 'member' },
    });
    expect(webhookEventOf(member('joined', 'member'))?.type).toBe('member.joined');
    expect(webhookEventOf(member('left'))?.type).toBe('member.removed');
    expect(webhookEventOf(member('removed'))?.member).toEqual({
      conversationId: 'c1',
      userId: 'u2',
      actorId: 'u1',
      change: 'removed',
      at: at.toISOString(),
    });
    expect(webhookEventOf(member('role-changed', 'admin'))).toMatchObject({
      type: 'member.role-changed',
      member: { userId: 'u2', actorId: 'u1', change: 'role-changed', role: 'admin' },
    });
    if (!added) throw new Error('no event');
    const made = deliveriesFor(added, [
      endpoint({ _id: 'messages-only' }),
      endpoint({ _id: 'members', eventTypes: ['member.joined', 'member.removed'] }),
      endpoint({ _id: 'other-conversation', eventTypes: ['member.joined'], conversationIds: ['c2'] }),
    ]);
    expect(made.map((d) => d.endpointId)).toEqual(['members']);
    expect(made[0]).toMatchObject({ conversationId: 'c1', member: { userId: 'u2' } });
    expect(made[0]).not.toHaveProperty('messageId');
    expect(made[0]).not.toHaveProperty('sealed');
  });
});
