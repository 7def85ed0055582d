// A search that arrives while the tenant's index is being made (the first write made it, a
// reindex made its successor): Elasticsearch answers 503 until the shard starts, which users
// must never see as "search unavailable". Each round makes a fresh index and searches it at once,
// the race a newly provisioned tenant's first searcher meets (and that a CI run once lost).
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { searchIndexName } from '@parley/tenancy';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageIndex } from './message-index.ts';

const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
const index = new MessageIndex(es);
const tenants: string[] = [];

afterAll(async () => {
  for (const tenant of tenants)
    await es.indices.delete({ index: searchIndexName(tenant), ignore_unavailable: true });
  await es.close();
});

describe('a search of an index whose shard has not started yet', () => {
  it('waits for the shard and answers, never a 503', async () => {
    for (let round = 0; round < 8; round++) {
      const tenant = `nix${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      tenants.push(tenant);
      let made = false;
      const making = index.ensure(tenant).then(() => {
        made = true;
      });
      // Searches back to back from before the index exists until it has been made (and once after).
      const refused: string[] = [];
      let searches = 0;
      do {
        searches++;
        await index
          .search(tenant, { match: { text: 'okapi' } }, { size: 5 })
          .then((hits) => expect(hits).toEqual([]))
          .catch((error: unknown) => refused.push(String(error)));
      } while (!made);
      await making;
      expect(refused).toEqual([]);
      expect(searches).toBeGreaterThan(1);
    }
  }, 120_000);
});
