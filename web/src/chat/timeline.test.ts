import { describe, expect, it } from 'vitest';
import { addPending, emptyTimeline, markPending, mergeMessages, orderedMessages } from './timeline.ts';
import type { Message } from './types.ts';

const message = (id: string, seq: number, changeSeq = seq, text = id): Message => ({
  id,
  conversationId: 'c1',
  seq,
  changeSeq,
  senderId: 'u1',
  clientMessageId: `client-${id}`,
  createdAt: new Date(0).toISOString(),
  text,
  deleted: false,
  replyCount: 0,
  mentions: { users: [], channel: false },
  reactions: [],
  attachments: [],
});

describe('timeline', () => {
  it('shows a message once however often and in whatever order it arrives', () => {
    let timeline = emptyTimeline();
    timeline = mergeMessages(timeline, [message('b', 2), message('a', 1)]);
    timeline = mergeMessages(timeline, [message('a', 1), message('b', 2), message('c', 3)]);
    expect(orderedMessages(timeline).map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the newest copy of an edited message', () => {
    let timeline = mergeMessages(emptyTimeline(), [message('a', 1, 5, 'edited')]);
    timeline = mergeMessages(timeline, [message('a', 1, 1, 'original')]);
    expect(orderedMessages(timeline)[0]?.text).toBe('edited');
  });

  it('drops the optimistic copy once the server confirms its clientMessageId', () => {
    let timeline = addPending(emptyTimeline(), { clientMessageId: 'client-a', text: 'a', status: 'sending' });
    timeline = markPending(timeline, 'client-a', 'failed');
    expect(timeline.pending).toEqual([{ clientMessageId: 'client-a', text: 'a', status: 'failed' }]);
    timeline = mergeMessages(timeline, [message('a', 1)]);
    expect(timeline.pending).toEqual([]);
    expect(orderedMessages(timeline)).toHaveLength(1);
  });
});
