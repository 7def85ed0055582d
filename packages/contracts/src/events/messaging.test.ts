import { describe, expect, it } from 'vitest';
import { createEvent, parseEvent } from '../event-envelope.ts';
import { MessageCreatedEvent } from './messaging.ts';

const payload = {
  conversationId: 'g_1',
  messageId: 'm_1',
  seq: 2,
  messageSeq: 2,
  kind: 'message.created' as const,
  senderId: 'alice',
  actorId: 'alice',
  at: '2026-12-02T10:00:00.000Z',
  createdAt: '2026-12-02T10:00:00.000Z',
  deleted: false,
  sealed: 'sealed-body',
  mentions: { users: [], channel: false },
};

describe('messaging.message.* events', () => {
  it('round-trips a message with its attachments (media ids only), and one without', () => {
    const withFiles = { ...payload, attachments: [{ mediaId: '01a238d3-a839-7db0' }] };
    const event = createEvent(MessageCreatedEvent, {
      tenant: 'acme',
      source: 'messaging',
      payload: withFiles,
    });
    expect(parseEvent(MessageCreatedEvent, JSON.parse(JSON.stringify(event))).payload).toEqual(withFiles);
    const plain = createEvent(MessageCreatedEvent, { tenant: 'acme', source: 'messaging', payload });
    expect(
      parseEvent(MessageCreatedEvent, JSON.parse(JSON.stringify(plain))).payload.attachments,
    ).toBeUndefined();
  });

  it('refuses attachments with more than an id (a file name would be plaintext), an empty list, or more than 10', () => {
    const base = createEvent(MessageCreatedEvent, { tenant: 'acme', source: 'messaging', payload });
    const named = { ...base, payload: { ...payload, attachments: [{ mediaId: 'x1', name: 'secret.pdf' }] } };
    expect(() => parseEvent(MessageCreatedEvent, named)).toThrow(/payload/);
    expect(() =>
      parseEvent(MessageCreatedEvent, { ...base, payload: { ...payload, attachments: [] } }),
    ).toThrow(/payload/);
    const many = Array.from({ length: 11 }, (_, i) => ({ mediaId: `m${i}` }));
    expect(() =>
      parseEvent(MessageCreatedEvent, { ...base, payload: { ...payload, attachments: many } }),
    ).toThrow(/payload/);
    const badId = { ...base, payload: { ...payload, attachments: [{ mediaId: '../other' }] } };
    expect(() => parseEvent(MessageCreatedEvent, badId)).toThrow(/payload/);
  });
});
