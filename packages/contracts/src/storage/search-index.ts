/**
 * The tenant's Elasticsearch message index (`parley-<tenant>-messages`, tenancy's
 * searchIndexName): one document per message, written only by the search service, created by
 * the operator's SearchIndex step. One mapping for both, so the operator provisions exactly what
 * search writes; search re-applies it (additive fields only) before its first write to an index,
 * so an index the operator made with an older mapping gains the new fields.
 *
 * `dynamic: strict`: a document with a field not listed here is refused, so nothing unplanned
 * (a raw event, a sealed body) can land in the index.
 */
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
