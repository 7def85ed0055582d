/**
 * Search highlights come HTML-encoded with `<mark>` around the matches (Elasticsearch's html
 * encoder). They are split into plain pieces and marked pieces here and rendered as text nodes,
 * never as HTML, so a message's own markup can never run in the page.
 */
export interface Piece {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  '#x27': "'",
  '#x2F': '/',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F);/g, (_, name: string) => ENTITIES[name] ?? '');
}

export function highlightPieces(fragment: string): Piece[] {
  const pieces: Piece[] = [];
  const pattern = /<mark>(.*?)<\/mark>/g;
  let at = 0;
  for (const match of fragment.matchAll(pattern)) {
    if (match.index > at)
      pieces.push({ text: decodeEntities(fragment.slice(at, match.index)), marked: false });
    pieces.push({ text: decodeEntities(match[1] ?? ''), marked: true });
    at = match.index + match[0].length;
  }
  if (at < fragment.length) pieces.push({ text: decodeEntities(fragment.slice(at)), marked: false });
  return pieces;
}
