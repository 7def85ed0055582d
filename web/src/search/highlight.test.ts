import { describe, expect, it } from 'vitest';
import { highlightPieces } from './highlight.ts';

describe('highlightPieces', () => {
  it('splits marked matches from plain text and decodes the encoder entities', () => {
    expect(highlightPieces('the <mark>zebra</mark> &amp; the &lt;b&gt;lion')).toEqual([
      { text: 'the ', marked: false },
      { text: 'zebra', marked: true },
      { text: ' & the <b>lion', marked: false },
    ]);
  });

  it('leaves a message’s own markup as text (it arrives encoded)', () => {
    const pieces = highlightPieces('&lt;script&gt;alert(1)&lt;/script&gt; <mark>hi</mark>');
    expect(pieces[0]).toEqual({ text: '<script>alert(1)</script> ', marked: false });
    expect(pieces.filter((p) => p.marked).map((p) => p.text)).toEqual(['hi']);
  });
});
