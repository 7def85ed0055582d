/**
 * Elasticsearch: the tenant's message index with the mapping the search service queries. One
 * index per tenant keeps a tenant's documents apart by construction (no filter to forget).
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export const MESSAGE_INDEX_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    messageId: { type: 'keyword' },
    conversationId: { type: 'keyword' },
    senderId: { type: 'keyword' },
    text: { type: 'text' },
    createdAt: { type: 'date' },
    editedAt: { type: 'date' },
  },
} as const;

export class SearchIndexStep implements TenantStep {
  readonly name = 'SearchIndex';
  readonly #es: ElasticsearchClient;
  readonly #replicas: number;

  constructor(es: ElasticsearchClient, replicas: number) {
    this.#es = es;
    this.#replicas = replicas;
  }

  async apply({ desired, event }: TenantStepContext): Promise<StepOutcome> {
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
    return ready('Provisioned', `index ${index}`);
  }
}

export async function deleteTenantIndex(es: ElasticsearchClient, index: string): Promise<void> {
  await es.indices.delete({ index, ignore_unavailable: true });
}
