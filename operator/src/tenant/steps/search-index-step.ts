/**
 * Elasticsearch: the tenant's message index with the mapping the search service queries. One
 * index per tenant keeps a tenant's documents apart by construction (no filter to forget). Where
 * the server has security, the tenant's own user may read that index and nothing else
 * (search-security.ts); where it has none the condition says so (ProvisionedWithoutUser, quoting
 * the server), and the Secret names no Elasticsearch address (searches go through the search service).
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { MESSAGE_INDEX_MAPPINGS } from '@parley/contracts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';
import { ensureSearchUser, probeSearchSecurity, searchRoleName, searchUsername } from './search-security.ts';

/** The mapping lives in @parley/contracts (storage/search-index.ts): the search service writes what it lists. */
export { MESSAGE_INDEX_MAPPINGS };

export class SearchIndexStep implements TenantStep {
  readonly name = 'SearchIndex';
  readonly #es: ElasticsearchClient;
  readonly #replicas: number;

  constructor(es: ElasticsearchClient, replicas: number) {
    this.#es = es;
    this.#replicas = replicas;
  }

  async apply({ desired, event, credentials, facts }: TenantStepContext): Promise<StepOutcome> {
    const index = desired.searchIndex;
    const exists = (await this.#es.indices.exists({ index })).body;
    if (!exists) {
      try {
        await this.#es.indices.create({
          index,
          body: {
            settings: { number_of_shards: 1, number_of_replicas: this.#replicas },
            mappings: MESSAGE_INDEX_MAPPINGS,
          },
        });
        event('Normal', 'SearchIndexCreated', `Elasticsearch index ${index} created`);
      } catch (error) {
        const type = (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type;
        if (type !== 'resource_already_exists_exception') throw error;
      }
    }
    const security = await probeSearchSecurity(this.#es);
    facts.searchUserSupported = security.supported;
    if (!security.supported) {
      return ready(
        'ProvisionedWithoutUser',
        `index ${index}; no per-tenant Elasticsearch user: the server has no security (${security.answer}), so isolation is by index name only and no tenant-scoped Elasticsearch credential exists: the Secret carries no Elasticsearch address, and the tenant's searches go through the search service`,
      );
    }
    await ensureSearchUser(this.#es, desired.id, index, credentials.searchPassword);
    return ready(
      'Provisioned',
      `index ${index}; user ${searchUsername(desired.id)} with role ${searchRoleName(desired.id)} only (read on ${index})`,
    );
  }
}

export async function deleteTenantIndex(es: ElasticsearchClient, index: string): Promise<void> {
  await es.indices.delete({ index, ignore_unavailable: true });
}
