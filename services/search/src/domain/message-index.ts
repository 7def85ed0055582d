/**
 * The tenant's message index in Elasticsearch (`parley-<tenant>-messages`): the only place this
 * service names an index, always from a tenant id (tenancy's searchIndexName validates it), so no
 * query text can choose one. Writes use external versioning on the change's seq: an older state
 * is refused by Elasticsearch (409) and counted as already applied.
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { messageIndexMappings, type SearchAnalyzer, searchAnalyzerOf } from '@parley/contracts';
import { searchIndexName, type TenantLanguage } from '@parley/tenancy';
import type { MessageDocument } from './message-document.ts';

export type IndexWrite =
  | { kind: 'upsert'; tenant: string; document: MessageDocument }
  /** A record without a value on the compacted topic (a purge, a delete's tombstone): gone for good. */
  | { kind: 'remove'; tenant: string; messageId: string };

export interface SearchHit {
  document: MessageDocument;
  highlights: string[];
  sort: unknown[];
}

export class MessageIndex {
  readonly es: ElasticsearchClient;
  readonly #mapped = new Set<string>();
  readonly #languageOf: (tenant: string) => Promise<TenantLanguage | undefined>;

  /** `languageOf`: the tenant's language (its registry entry), which picks a new index's analyzer. */
  constructor(
    es: ElasticsearchClient,
    languageOf: (tenant: string) => Promise<TenantLanguage | undefined> = async () => undefined,
  ) {
    this.es = es;
    this.#languageOf = languageOf;
  }

  indexOf(tenant: string): string {
    return searchIndexName(tenant);
  }

  /**
   * Before the first write to a tenant's index in this process: the operator made it (with the
   * same mapping, maybe an older one: fields are only ever added, which a strict index accepts);
   * an index that is missing is created here with the mapping (a tenant provisioned before the
   * index step existed; tests).
   */
  async ensure(tenant: string): Promise<void> {
    if (this.#mapped.has(tenant)) return;
    const index = this.indexOf(tenant);
    const exists = (await this.es.indices.exists({ index })).body;
    if (!exists) {
      try {
        await this.create(tenant, index);
      } catch (error) {
        if (esErrorType(error) !== 'resource_already_exists_exception') throw error;
      }
    } else {
      // With the analyzer the index was made with: an analyzer cannot change in place (a changed
      // language reaches the index through a reindex).
      await this.es.indices.putMapping({ index, body: messageIndexMappings(await this.analyzerIn(index)) });
    }
    this.#mapped.add(tenant);
  }

  /** Creates `index` (the tenant's, or a reindex's new one) with the message mapping in the tenant's language. */
  async create(tenant: string, index: string): Promise<void> {
    await this.es.indices.create({
      index,
      body: {
        settings: { number_of_shards: 1 },
        mappings: messageIndexMappings(searchAnalyzerOf(await this.#languageOf(tenant))),
      },
    });
  }

  /** The analyzer of the `text` field of `index` (or of the one index behind an alias of that name). */
  async analyzerIn(index: string): Promise<SearchAnalyzer> {
    const { body } = await this.es.indices.getMapping({ index });
    const mappings = Object.values(
      body as Record<string, { mappings?: { properties?: { text?: { analyzer?: string } } } }>,
    );
    return (mappings[0]?.mappings?.properties?.text?.analyzer as SearchAnalyzer | undefined) ?? 'standard';
  }

  /** Applies writes in one bulk call; a version conflict (an older state) is success. */
  async apply(writes: readonly IndexWrite[], options: { refresh?: boolean } = {}): Promise<void> {
    if (writes.length === 0) return;
    for (const tenant of new Set(writes.map((w) => w.tenant))) await this.ensure(tenant);
    await this.applyTo(undefined, writes, options);
  }

  /**
   * The bulk write itself, into `index` when given (a reindex's new index, made by the caller),
   * else each write's tenant index.
   */
  async applyTo(
    index: string | undefined,
    writes: readonly IndexWrite[],
    options: { refresh?: boolean } = {},
  ): Promise<void> {
    if (writes.length === 0) return;
    const body: object[] = [];
    for (const write of writes) {
      const _index = index ?? this.indexOf(write.tenant);
      if (write.kind === 'upsert') {
        body.push({
          index: {
            _index,
            _id: write.document.messageId,
            version: write.document.changeSeq,
            version_type: 'external',
          },
        });
        // The tenant the write is for, in the document: every query filters on it (shared index).
        body.push({ ...write.document, tenant: write.tenant });
      } else {
        body.push({ delete: { _index, _id: write.messageId } });
      }
    }
    const { body: answer } = await this.es.bulk({ body, refresh: options.refresh ? 'wait_for' : false });
    if (!answer.errors) return;
    const failures = (
      answer.items as Record<string, { status: number; error?: { type?: string; reason?: string } }>[]
    )
      .map((item) => Object.values(item)[0])
      .filter((r) => r && r.status >= 300 && r.status !== 409 && !(r.status === 404 && !r.error));
    if (failures.length > 0) {
      const first = failures[0]?.error;
      throw new Error(`Elasticsearch refused ${failures.length} writes: ${first?.type}: ${first?.reason}`);
    }
  }

  /** Removes every document of one person (GDPR erasure of what search holds), but those in `keep` (held conversations). */
  async removeSender(
    tenant: string,
    senderId: string,
    keep: ReadonlySet<string> = new Set(),
  ): Promise<number> {
    const { body } = await this.es.deleteByQuery({
      index: this.indexOf(tenant),
      body: {
        query: {
          bool: {
            filter: [{ term: { senderId } }, tenantFilter(tenant)],
            ...(keep.size > 0 ? { must_not: [{ terms: { conversationId: [...keep] } }] } : {}),
          },
        },
      },
      refresh: true,
      conflicts: 'proceed',
      ignore_unavailable: true,
    });
    return (body as { deleted?: number }).deleted ?? 0;
  }

  /**
   * The tenant's hits. An index made a moment ago (by the first write, a reindex, the operator)
   * exists before its shard has started, and Elasticsearch answers a search in that gap with
   * 503 "all shards failed": that is a wait, not an outage, so the search waits for the shard
   * (bounded) and asks once more. A 503 that outlasts the wait still reaches the caller.
   */
  async search(
    tenant: string,
    query: object,
    options: { size: number; searchAfter?: unknown[] },
  ): Promise<SearchHit[]> {
    try {
      return await this.#searchOnce(tenant, query, options);
    } catch (error) {
      if (!isShardNotYetStarted(error)) throw error;
      await this.es.cluster.health(
        { index: this.indexOf(tenant), wait_for_no_initializing_shards: true, timeout: '5s' },
        { ignore: [408] },
      );
      return await this.#searchOnce(tenant, query, options);
    }
  }

  async #searchOnce(
    tenant: string,
    query: object,
    options: { size: number; searchAfter?: unknown[] },
  ): Promise<SearchHit[]> {
    const { body } = await this.es.search({
      index: this.indexOf(tenant),
      ignore_unavailable: true,
      body: {
        query: { bool: { must: [query], filter: [tenantFilter(tenant)] } },
        size: options.size,
        track_total_hits: false,
        sort: [{ _score: 'desc' }, { createdAt: 'desc' }, { messageId: 'asc' }],
        ...(options.searchAfter ? { search_after: options.searchAfter } : {}),
        highlight: {
          pre_tags: ['<mark>'],
          post_tags: ['</mark>'],
          encoder: 'html',
          // A file name matched shows too (after the text's), so a hit on a name says why it came.
          fields: {
            text: { number_of_fragments: 3, fragment_size: 150 },
            attachmentNames: { number_of_fragments: 3, fragment_size: 150 },
          },
        },
      },
    });
    const hits = (
      body as {
        hits: {
          hits: {
            _source: MessageDocument;
            highlight?: { text?: string[]; attachmentNames?: string[] };
            sort: unknown[];
          }[];
        };
      }
    ).hits.hits;
    return hits.map((h) => ({
      document: h._source,
      highlights: [...(h.highlight?.text ?? []), ...(h.highlight?.attachmentNames ?? [])],
      sort: h.sort,
    }));
  }
}

/**
 * Every query's tenant filter, whatever the query says: the tenant's documents, and those written
 * before documents carried their tenant (only in a dedicated index, which holds nothing else:
 * in the shared index the tenant's name is an alias whose own filter demands the tenant field,
 * so an untagged document never passes there). Not an update-by-query backfill: it would bump
 * the documents' versions past their external seq and the next edit would be refused as stale.
 */
export function tenantFilter(tenant: string): object {
  return {
    bool: {
      should: [{ term: { tenant } }, { bool: { must_not: { exists: { field: 'tenant' } } } }],
      minimum_should_match: 1,
    },
  };
}

function esErrorType(error: unknown): string | undefined {
  return (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type;
}

/** Elasticsearch's answer to a search of an index whose shards have not started yet. */
function isShardNotYetStarted(error: unknown): boolean {
  const { meta } = error as { meta?: { statusCode?: number } };
  return meta?.statusCode === 503 && esErrorType(error) === 'search_phase_execution_exception';
}
