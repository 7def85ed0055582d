import type { TenantLanguage } from '@parley/tenancy';
/**
 * The tenant's Elasticsearch message index (`parley-<tenant>-messages`, tenancy's
 * searchIndexName): one document per message, written only by the search service, created by
 * the operator's SearchIndex step. One mapping for both, so the operator provisions exactly what
 * search writes; search re-applies it (additive fields only) before its first write to an index,
 * so an index the operator made with an older mapping gains the new fields.
 *
 * `messageIndexMappings(analyzer)` is the mapping of an index made for a tenant's language (below).
 *
 * `dynamic: strict`: a document with a field not listed here is refused, so nothing unplanned
 * (a raw event, a sealed body) can land in the index.
 */
export function messageIndexMappings(analyzer: SearchAnalyzer = 'standard') {
  // The standard analyzer is Elasticsearch's default: left unnamed, so indices made before
  // languages existed keep exactly the mapping they were made with (putMapping compares).
  const analysed = analyzer === 'standard' ? { type: 'text' as const } : { type: 'text' as const, analyzer };
  return {
    dynamic: 'strict' as const,
    properties: {
      ...MESSAGE_INDEX_MAPPINGS.properties,
      text: analysed,
      attachmentNames: analysed,
    },
  };
}

/**
 * Elasticsearch's built-in language analyzers (stemming, stop words, folding) per tenant language
 * (spec.language); a tenant without one, and the shared index (one analyzer for every tenant in
 * it), use `standard`. An analyzer is fixed when the index is made: changing a tenant's language
 * takes a reindex (the search service's reindex command) to reach its index.
 */
export const SEARCH_ANALYZERS: Readonly<Record<TenantLanguage, SearchAnalyzer>> = {
  en: 'english',
  de: 'german',
  fr: 'french',
  es: 'spanish',
  it: 'italian',
  nl: 'dutch',
  pt: 'portuguese',
};

export type SearchAnalyzer =
  | 'standard'
  | 'english'
  | 'german'
  | 'french'
  | 'spanish'
  | 'italian'
  | 'dutch'
  | 'portuguese';

export function searchAnalyzerOf(language: TenantLanguage | undefined): SearchAnalyzer {
  return language ? SEARCH_ANALYZERS[language] : 'standard';
}

/** The mapping with the standard analyzer (the shared index's; a tenant without a language). */
export const MESSAGE_INDEX_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    /**
     * The tenant whose message this is. Every query filters on it, so a tenant placed in the
     * shared index (SHARED_MESSAGE_INDEX) is kept apart by Parley's filter, in its alias and in
     * the search service's query alike; a dedicated index carries it too, so moving a tenant
     * between placements is a plain reindex.
     */
    tenant: { type: 'keyword' },
    messageId: { type: 'keyword' },
    conversationId: { type: 'keyword' },
    senderId: { type: 'keyword' },
    /** The decrypted text (analysed); absent once deleted. */
    text: { type: 'text' },
    createdAt: { type: 'date' },
    editedAt: { type: 'date' },
    /** A thread reply: its root's id. */
    parentId: { type: 'keyword' },
    /** The conversation seq of the change this document reflects (also its external ES version). */
    changeSeq: { type: 'long' },
    /** A deleted message stays as a document without content, so a replayed older event cannot revive it. */
    deleted: { type: 'boolean' },
    hasAttachment: { type: 'boolean' },
    attachmentNames: { type: 'text' },
  },
} as const;

/**
 * The one index that tenants placed `Shared` (a Tenant's `spec.placement.search`) live in:
 * Elasticsearch charges at least one shard per index, and a node holds 1,000 shards by default
 * (`cluster.max_shards_per_node`), so an index per tenant cannot reach 100,000 tenants.
 */
export const SHARED_MESSAGE_INDEX = 'parley-shared-messages';

/**
 * The alias that stands for a Shared tenant's index, under the name its dedicated index would
 * have (`parley-<tenant>-messages`), so the search service names the same thing either way:
 * reads through it see only the tenant's documents (filter) and touch one shard (routing by
 * tenant); writes through it are routed the same way. Isolation is Parley's own filter, not
 * Elasticsearch security: a client with read on the shared index sees every tenant.
 */
export function sharedTenantAlias(tenant: string) {
  return { filter: { term: { tenant } }, index_routing: tenant, search_routing: tenant };
}
