/**
 * Elasticsearch: the tenant's message index with the mapping the search service queries, placed as
 * spec.placement.search says (search-placement.ts): Dedicated, an index of its own, which keeps a
 * tenant's documents apart by construction; Shared, a filtered alias on one shared index. Where
 * the server has security, the tenant's own user may read that index and nothing else
 * (search-security.ts); where it has none the condition says so (ProvisionedWithoutUser, quoting
 * the server), and the Secret names no Elasticsearch address (searches go through the search service).
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { MESSAGE_INDEX_MAPPINGS, SHARED_MESSAGE_INDEX, searchAnalyzerOf } from '@parley/contracts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';
import {
  placeDedicated,
  placeShared,
  removeTenantSearchData,
  SharedPlacementAdmin,
  textAnalyzerOf,
} from './search-placement.ts';
import { ensureSearchUser, probeSearchSecurity, searchRoleName, searchUsername } from './search-security.ts';

/** The mapping lives in @parley/contracts (storage/search-index.ts): the search service writes what it lists. */
export { MESSAGE_INDEX_MAPPINGS };

export class SearchIndexStep implements TenantStep {
  readonly name = 'SearchIndex';
  readonly #es: ElasticsearchClient;
  readonly #replicas: number;
  readonly #shared: SharedPlacementAdmin;

  constructor(es: ElasticsearchClient, replicas: number) {
    this.#es = es;
    this.#replicas = replicas;
    this.#shared = new SharedPlacementAdmin(es, replicas);
  }

  async apply({ desired, event, credentials, facts }: TenantStepContext): Promise<StepOutcome> {
    const index = desired.searchIndex;
    const placement = desired.placement.search;
    const done =
      placement === 'Shared'
        ? await placeShared(this.#shared, desired.id, index)
        : await placeDedicated(
            this.#es,
            desired.id,
            index,
            this.#replicas,
            searchAnalyzerOf(desired.language),
          );
    if (done)
      event(
        'Normal',
        done.startsWith('moved') ? 'SearchPlacementMoved' : 'SearchIndexCreated',
        `${placement}: ${done}`,
      );
    const where =
      placement === 'Shared'
        ? `alias ${index} on ${SHARED_MESSAGE_INDEX} (placement Shared: filter and routing by tenant; isolated by Parley's filter, not by Elasticsearch security)`
        : `index ${index} (placement Dedicated)`;
    const moved = done.startsWith('moved') ? `; ${done}` : '';
    const stale =
      placement === 'Dedicated' ? await this.#staleLanguage(desired.id, index, desired.language) : '';
    const security = await probeSearchSecurity(this.#es);
    facts.searchUserSupported = security.supported;
    if (!security.supported) {
      return ready(
        stale ? 'LanguageAwaitsReindex' : 'ProvisionedWithoutUser',
        `${where}${moved}; no per-tenant Elasticsearch user: the server has no security (${security.answer}), so isolation is by index name only and no tenant-scoped Elasticsearch credential exists: the Secret carries no Elasticsearch address, and the tenant's searches go through the search service${stale}`,
      );
    }
    await ensureSearchUser(this.#es, desired.id, index, credentials.searchPassword);
    return ready(
      stale ? 'LanguageAwaitsReindex' : 'Provisioned',
      `${where}${moved}; user ${searchUsername(desired.id)} with role ${searchRoleName(desired.id)} only (read on ${index})${stale}`,
    );
  }

  /**
   * '' when the index's analyzer is the one spec.language asks for; else what the condition says
   * about it. Search keeps working on the old analyzer meanwhile (nothing is lost), so the
   * condition stays True and its reason tells the operator of the cluster what to run.
   */
  async #staleLanguage(
    tenant: string,
    index: string,
    language: TenantStepContext['desired']['language'],
  ): Promise<string> {
    const wanted = searchAnalyzerOf(language);
    const current = await textAnalyzerOf(this.#es, index);
    if (current === undefined || current === wanted) return '';
    return `; its text analyzer is ${current} but spec.language asks for ${wanted} (${language ?? 'unset'}): an existing index keeps its analyzer until the search service's reindex (npm run -w @parley/search-service reindex -- ${tenant}) builds it anew`;
  }
}

/** The tenant's search data goes, whatever its placement (search-placement.ts). */
export async function deleteTenantIndex(
  es: ElasticsearchClient,
  tenant: string,
  index: string,
): Promise<void> {
  await removeTenantSearchData(es, tenant, index);
}
