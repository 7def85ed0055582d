import { describe, expect, it } from 'vitest';
import {
  addPending,
  emptyTimeline,
  markPending,
  mergeHistoryPage,
  mergeMessages,
  orderedMessages,
  unreadDivider,
} from './timeline.ts';
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

  it('keeps no message below the history read so far: a late live one waits for its older page', () => {
    // A live delivery of seq 2 came before the latest page (seq 5-6, older ones exist) was read.
    let timeline = mergeMessages(emptyTimeline(), [message('b', 2)]);
    timeline = mergeHistoryPage(timeline, [message('e', 5), message('f', 6)], 5);
    expect(orderedMessages(timeline).map((m) => m.id)).toEqual(['e', 'f']);
    // And one after it (a late delivery, or an edit of an old message).
    timeline = mergeMessages(timeline, [message('c', 3, 9), message('g', 7)]);
    expect(orderedMessages(timeline).map((m) => m.id)).toEqual(['e', 'f', 'g']);
    // The older page brings them, without a gap; the start reached, nothing is held back.
    timeline = mergeHistoryPage(timeline, [message('a', 1), message('b', 2), message('c', 3, 9)], undefined);
    expect(orderedMessages(timeline).map((m) => m.id)).toEqual(['a', 'b', 'c', 'e', 'f', 'g']);
    timeline = mergeMessages(timeline, [message('c', 3, 10, 'edited')]);
    expect(orderedMessages(timeline)[2]?.text).toBe('edited');
  });

  it('still confirms a pending send whatever the floor', () => {
    let timeline = mergeHistoryPage(emptyTimeline(), [message('e', 5)], 5);
    timeline = addPending(timeline, { clientMessageId: 'client-a', text: 'a', status: 'sending' });
    timeline = mergeMessages(timeline, [message('a', 1)]);
    expect(timeline.pending).toEqual([]);
  });

  it('keeps thread replies whatever their seq (a thread is read on its own)', () => {
    const reply = { ...message('r', 2), parentId: 'e' };
    const timeline = mergeMessages(mergeHistoryPage(emptyTimeline(), [message('e', 5)], 5), [reply]);
    expect(timeline.messages.has('r')).toBe(true);
  });
});

describe('the unread divider', () => {
  const from = (id: string, seq: number, senderId: string, deleted = false): Message => ({
    ...message(id, seq),
    senderId,
    deleted,
  });
  const shown = [from('a', 1, 'u1'), from('b', 2, 'me'), from('c', 3, 'u1', true), from('d', 4, 'u1')];

  it("goes before the first message after the read pointer that is someone else's and not deleted", () => {
    expect(unreadDivider(shown, 1, 'me', false)).toEqual({ beforeId: 'd', placed: true });
    expect(unreadDivider(shown, 0, 'me', false)).toEqual({ beforeId: 'a', placed: true });
  });

  it('is absent when nothing is unread', () => {
    expect(unreadDivider(shown, 4, 'me', false)).toBeUndefined();
    expect(unreadDivider([from('b', 2, 'me')], 0, 'me', true)).toBeUndefined();
  });

  it('is not placed while older unread messages may be beyond the loaded pages', () => {
    expect(unreadDivider(shown, 0, 'me', true)).toEqual({ beforeId: 'a', placed: false });
    // The oldest loaded message was read: the first unread is among the loaded ones.
    expect(unreadDivider(shown, 1, 'me', true)).toEqual({ beforeId: 'd', placed: true });
  });
});
