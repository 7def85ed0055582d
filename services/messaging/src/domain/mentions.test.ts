import { describe, expect, it } from 'vitest';
import { parseMentions } from './mentions.ts';

describe('parseMentions', () => {
  it('finds user mentions once each, and @channel, @here and @everyone as the channel', () => {
    expect(parseMentions('hi @bob and @cat.x, @bob again')).toEqual({
      users: ['bob', 'cat.x'],
      channel: false,
    });
    expect(parseMentions('@here look').channel).toBe(true);
    expect(parseMentions('@everyone').channel).toBe(true);
    expect(parseMentions('see @channel').users).toEqual([]);
  });

  it('ignores an @ inside a word (an e-mail address) and trailing full stops', () => {
    expect(parseMentions('write to ann@example.com')).toEqual({ users: [], channel: false });
    expect(parseMentions('thanks @dan.')).toEqual({ users: ['dan'], channel: false });
  });

  it('records at most 50 users', () => {
    const text = Array.from({ length: 80 }, (_, i) => `@u${i}`).join(' ');
    expect(parseMentions(text).users).toHaveLength(50);
  });
});
