import type { Change } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { ConversationStream } from './conversation-stream.ts';

const change = (seq: number, kind: Change['kind'] = 'message.created', messageId = `m${seq}`): Change => ({
  seq,
  kind,
  at: new Date(0).toISOString(),
  messageId,
});
const seqs = (changes: Change[]) => changes.map((c) => c.seq);

describe('ConversationStream', () => {
  it('delivers in seq order whatever order changes arrive in, each once', () => {
    const stream = new ConversationStream(0);
    expect(seqs(stream.accept(change(2)))).toEqual([]);
    expect(stream.hasGap).toBe(true);
    expect(seqs(stream.accept(change(3)))).toEqual([]);
    expect(seqs(stream.accept(change(1)))).toEqual([1, 2, 3]);
    expect(stream.hasGap).toBe(false);
    expect(seqs(stream.accept(change(2)))).toEqual([]);
    expect(seqs(stream.accept(change(3)))).toEqual([]);
    expect(stream.lastSeq).toBe(3);
  });

  it('drops what is at or below the baseline (live and recovery overlap)', () => {
    const stream = new ConversationStream(5);
    expect(seqs(stream.accept(change(4)))).toEqual([]);
    expect(seqs(stream.accept(change(5)))).toEqual([]);
    expect(seqs(stream.accept(change(6)))).toEqual([6]);
  });

  it('a second creation of the same message id is dropped', () => {
    const stream = new ConversationStream(0);
    expect(seqs(stream.accept(change(1, 'message.created', 'same')))).toEqual([1]);
    expect(seqs(stream.accept(change(2, 'message.created', 'same')))).toEqual([]);
    expect(stream.lastSeq).toBe(2);
    expect(seqs(stream.accept(change(3, 'message.edited', 'same')))).toEqual([3]);
  });

  it('advanceTo closes a gap recovery says cannot be filled, then drains what waits after it', () => {
    const stream = new ConversationStream(0);
    stream.accept(change(4));
    expect(seqs(stream.advanceTo(3))).toEqual([4]);
    expect(stream.lastSeq).toBe(4);
    expect(seqs(stream.advanceTo(2))).toEqual([]);
  });
});
