/**
 * One search: the query parsed by Parley, the caller's conversations from messaging, the tenant's
 * index only, results newest-relevant first with highlights, and an opaque cursor
 * (Elasticsearch's search_after values, base64url JSON) for the next page.
 */
import type { SearchPage } from '@parley/contracts';
import type { Caller, Membership } from './membership.ts';
import type { MessageIndex } from './message-index.ts';
import { elasticQuery, parseSearchQuery, SearchQueryError } from './search-query.ts';

export class MessageSearch {
  readonly #index: MessageIndex;
  readonly #membership: Membership;

  constructor(index: MessageIndex, membership: Membership) {
    this.#index = index;
    this.#membership = membership;
  }

  async search(caller: Caller, q: string, options: { limit: number; cursor?: string }): Promise<SearchPage> {
    const parsed = parseSearchQuery(q);
    const searchAfter = options.cursor ? decodeCursor(options.cursor) : undefined;
    const conversations = await this.#membership.conversationsOf(caller);
    if (conversations.length === 0) return { results: [] };
    const hits = await this.#index.search(caller.tenant, elasticQuery(parsed, conversations), {
      size: options.limit + 1,
      ...(searchAfter ? { searchAfter } : {}),
    });
    const page = hits.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      results: page.map(({ document: d, highlights }) => ({
        messageId: d.messageId,
        conversationId: d.conversationId,
        senderId: d.senderId,
        createdAt: d.createdAt,
        ...(d.editedAt ? { editedAt: d.editedAt } : {}),
        ...(d.parentId ? { parentId: d.parentId } : {}),
        text: d.text ?? '',
        highlights,
        hasAttachment: d.hasAttachment,
      })),
      ...(hits.length > options.limit && last ? { nextCursor: encodeCursor(last.sort) } : {}),
    };
  }
}

function encodeCursor(sort: unknown[]): string {
  return Buffer.from(JSON.stringify(sort)).toString('base64url');
}

/** A cursor is only ever one we made: [score, time, id]; anything else is the client's 400. */
function decodeCursor(cursor: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new SearchQueryError('The cursor is not one this service gave');
  }
  const ok =
    Array.isArray(value) &&
    value.length === 3 &&
    (typeof value[0] === 'number' || value[0] === null) &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'string';
  if (!ok) throw new SearchQueryError('The cursor is not one this service gave');
  return value as unknown[];
}
