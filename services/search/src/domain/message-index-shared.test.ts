// The search service's index over a shared placement, on the real Elasticsearch: two tenants'
// names are filtered, routed aliases of one index (as the operator makes them for `Shared`), and
// the service writes and searches through those names exactly as it does through dedicated
// indexes. The attack: a query crafted to match everything, run as one tenant, never returns
// the other's messages; and the service's own filter holds even through a name whose alias has
// lost its filter (a hand edit), because every query carries the tenant.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { MESSAGE_INDEX_MAPPINGS, sharedTenantAlias } from '@parley/contracts';
import { searchIndexName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageDocument } from './message-document.ts';
import { MessageIndex } from './message-index.ts';

const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
const run = randomUUID().slice(0, 8);
const shared = `parley-test-shared-${run}`;
const a = `sha${run}`;
const b = `shb${run}`;
const index = new MessageIndex(es);

function doc(messageId: string, text: string): MessageDocument {
  return {
    messageId,
    conversationId: 'c1',
    senderId: 'alice',
    text,
    createdAt: new Date().toISOString(),
    changeSeq: 1,
    deleted: false,
    hasAttachment: false,
  };
}

beforeAll(async () => {
  await es.indices.create({
    index: shared,
    body: { settings: { number_of_shards: 2, number_of_replicas: 0 }, mappings: MESSAGE_INDEX_MAPPINGS },
  });
  await es.indices.updateAliases({
    body: {
      actions: [a, b].map((tenant) => ({
        add: { index: shared, alias: searchIndexName(tenant), ...sharedTenantAlias(tenant) },
      })),
    },
  });
  await index.apply(
    [
      { kind: 'upsert', tenant: a, document: doc('ma1', 'quarterly okapi report') },
      { kind: 'upsert', tenant: b, document: doc('mb1', 'secret okapi merger') },
    ],
    { refresh: true },
  );
});

afterAll(async () => {
  await es.indices.delete({ index: shared, ignore_unavailable: true });
  await es.close();
});

const everything = { bool: { should: [{ match_all: {} }, { terms: { tenant: [a, b] } }] } };

describe('a shared index, one alias per tenant', () => {
  it('stores each message once, in the shared index, tagged with its tenant', async () => {
    await es.indices.refresh({ index: shared });
    const { body } = await es.search({ index: shared, body: { query: { match_all: {} } } });
    const sources = body.hits.hits.map((h: { _source: { tenant: string; messageId: string } }) => h._source);
    expect(sources.map((s: { messageId: string; tenant: string }) => [s.messageId, s.tenant]).sort()).toEqual(
      [
        ['ma1', a],
        ['mb1', b],
      ],
    );
  });

  it("answers a tenant's query, even one matching everything, with its own messages only", async () => {
    const hitsA = await index.search(a, everything, { size: 10 });
    expect(hitsA.map((h) => h.document.messageId)).toEqual(['ma1']);
    const hitsB = await index.search(b, { match: { text: 'okapi' } }, { size: 10 });
    expect(hitsB.map((h) => h.document.messageId)).toEqual(['mb1']);
  });

  it('keeps the tenant filter when an alias loses its own (hand edit): the query carries the tenant', async () => {
    await es.indices.updateAliases({
      body: { actions: [{ add: { index: shared, alias: searchIndexName(a) } }] },
    });
    const hits = await index.search(a, everything, { size: 10 });
    expect(hits.map((h) => h.document.messageId)).toEqual(['ma1']);
  });

  it("erases one person's messages of one tenant only (GDPR through the alias)", async () => {
    expect(await index.removeSender(a, 'alice')).toBe(1);
    const hitsB = await index.search(b, everything, { size: 10 });
    expect(hitsB.map((h) => h.document.messageId)).toEqual(['mb1']);
  });
});
