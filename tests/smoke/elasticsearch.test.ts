import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

describe('elasticsearch', () => {
  it('indexes a document and finds it', async () => {
    const es = new Client({ node: stackSetting('ELASTICSEARCH_URL') });
    const index = `parley-smoke-${uniqueSuffix()}-messages`;
    try {
      await es.indices.create({
        index,
        body: { mappings: { properties: { text: { type: 'text' }, tenant: { type: 'keyword' } } } },
      });
      await es.index({
        index,
        id: 'm1',
        body: { text: 'the quick brown fox', tenant: 'demo' },
        refresh: true,
      });
      const { body } = await es.search({
        index,
        body: { query: { bool: { must: { match: { text: 'fox' } }, filter: { term: { tenant: 'demo' } } } } },
      });
      expect(body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['m1']);
    } finally {
      await es.indices.delete({ index }).catch(() => {});
      await es.close();
    }
  });
});
