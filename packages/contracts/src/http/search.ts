/**
 * The search service's HTTP contract (services/search, port 3006), for the gateway and
 * @parley/search-client. The acting user travels in messaging's headers (ACTING_USER_HEADER,
 * ACTING_ROLES_HEADER), the tenant in the path.
 */
import { type Static, Type } from 'typebox';

/** GET /search?q&limit&cursor */
export const SearchQuerystringSchema = Type.Object(
  {
    /** Free text plus `from:<userId>`, `in:<conversationId>`, `before:<date>`, `after:<date>`, `has:attachment`. */
    q: Type.String({ minLength: 1, maxLength: 500 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,400}$' })),
  },
  { additionalProperties: false },
);
export type SearchQuerystring = Static<typeof SearchQuerystringSchema>;

export const SearchResultSchema = Type.Object({
  messageId: Type.String(),
  conversationId: Type.String(),
  senderId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  editedAt: Type.Optional(Type.String({ format: 'date-time' })),
  parentId: Type.Optional(Type.String()),
  text: Type.String(),
  /** Fragments of the text with the matches in `<mark>`…`</mark>` (the rest HTML-escaped). */
  highlights: Type.Array(Type.String()),
  hasAttachment: Type.Boolean(),
});
export type SearchResult = Static<typeof SearchResultSchema>;

export const SearchPageSchema = Type.Object({
  results: Type.Array(SearchResultSchema),
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor: Type.Optional(Type.String()),
});
export type SearchPage = Static<typeof SearchPageSchema>;
