/**
 * Parley's search language, parsed here, never by Elasticsearch: free text plus the filters
 * `from:<userId>`, `in:<conversationId>`, `before:<date>`, `after:<date>`, `has:attachment`.
 * The free text becomes a `simple_query_string` over the `text` field only (its own operators:
 * `"phrase"`, `-not`, `a | b`, `pre*`), which never fails on syntax; what it would silently
 * accept but is surely a mistake (an unclosed quote or parenthesis, an unknown `has:`, a date
 * that is not one, a filter without a value) is a SearchQueryError, answered 400. Nothing in a
 * query names an index or a field: the index comes from the tenant, the fields from here.
 */

export const SEARCH_QUERY_MAX_LENGTH = 500;

export class SearchQueryError extends Error {}

export interface ParsedSearchQuery {
  text: string;
  from: string[];
  in: string[];
  before?: string;
  after?: string;
  hasAttachment: boolean;
}

const FILTER = /^(from|in|before|after|has):(.*)$/;
const ID = /^[A-Za-z0-9_.:@-]{1,64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Splits on whitespace outside double quotes (a quoted phrase stays one token). */
function tokens(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of query) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (current) out.push(current);
      current = '';
    } else current += ch;
  }
  if (quoted) throw new SearchQueryError('The query has an unclosed quote (")');
  if (current) out.push(current);
  return out;
}

function date(name: string, value: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(value)))
    throw new SearchQueryError(`${name}: needs a date (YYYY-MM-DD or an ISO 8601 time), not "${value}"`);
  return new Date(value).toISOString();
}

export function parseSearchQuery(query: string): ParsedSearchQuery {
  if (query.length > SEARCH_QUERY_MAX_LENGTH)
    throw new SearchQueryError(`The query is longer than ${SEARCH_QUERY_MAX_LENGTH} characters`);
  const parsed: ParsedSearchQuery = { text: '', from: [], in: [], hasAttachment: false };
  const words: string[] = [];
  for (const token of tokens(query)) {
    const filter = FILTER.exec(token);
    if (!filter) {
      words.push(token);
      continue;
    }
    const [, name, value = ''] = filter;
    if (value === '') throw new SearchQueryError(`${name}: needs a value`);
    switch (name) {
      case 'from':
      case 'in': {
        const id = value.replace(/^@/, '');
        if (!ID.test(id)) throw new SearchQueryError(`${name}: "${value}" is not an id`);
        parsed[name].push(id);
        break;
      }
      case 'before':
        parsed.before = date(name, value);
        break;
      case 'after':
        parsed.after = date(name, value);
        break;
      default:
        if (value !== 'attachment')
          throw new SearchQueryError(`has: knows only "attachment", not "${value}"`);
        parsed.hasAttachment = true;
    }
  }
  parsed.text = words.join(' ');
  let depth = 0;
  for (const ch of parsed.text.replace(/"[^"]*"/g, '')) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0)
      throw new SearchQueryError('The query closes a parenthesis it never opened');
  }
  if (depth !== 0) throw new SearchQueryError('The query has an unclosed parenthesis');
  if (
    !parsed.text &&
    parsed.from.length + parsed.in.length === 0 &&
    !parsed.before &&
    !parsed.after &&
    !parsed.hasAttachment
  )
    throw new SearchQueryError('The query is empty');
  return parsed;
}

/**
 * The Elasticsearch query: the caller's conversations (membership now) as a filter that nothing in
 * the text can widen, deleted messages never, then the parsed filters.
 */
export function elasticQuery(parsed: ParsedSearchQuery, conversationIds: readonly string[]): object {
  const filter: object[] = [
    { terms: { conversationId: [...conversationIds] } },
    { term: { deleted: false } },
  ];
  if (parsed.in.length > 0) filter.push({ terms: { conversationId: parsed.in } });
  if (parsed.from.length > 0) filter.push({ terms: { senderId: parsed.from } });
  if (parsed.before || parsed.after)
    filter.push({
      range: {
        createdAt: {
          ...(parsed.before ? { lt: parsed.before } : {}),
          ...(parsed.after ? { gt: parsed.after } : {}),
        },
      },
    });
  if (parsed.hasAttachment) filter.push({ term: { hasAttachment: true } });
  const must = parsed.text
    ? [
        {
          simple_query_string: {
            query: parsed.text,
            fields: ['text', 'attachmentNames'],
            default_operator: 'and',
            flags: 'AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE',
            lenient: true,
          },
        },
      ]
    : [{ match_all: {} }];
  return { bool: { must, filter } };
}
