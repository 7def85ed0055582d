/**
 * Permission-filtered search (issue 16) in a tenant of 100,000 messages over 500 conversations:
 * the search service's whole query (messaging asked over HTTP for the caller's conversation ids, 250
 * of the 500, `GET /memberships`; the `terms` filter on them; relevance sort, highlights, a page of 20) against
 * the same Elasticsearch query without the permission filter (no membership call, no `terms`),
 * in alternating rounds of sequential queries.
 *
 * The 100,000 documents are this benchmark's own setup: bulk-indexed straight into the tenant's
 * index (the search service's MessageIndex.apply, 5,000 per bulk call), not sent through
 * messaging; the 500 conversations are real ones in messaging, so the membership answer is too.
 * Goal: >= 0.7 x the unfiltered query's queries/s.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { openMessagingFixture, SERVICE_TOKEN } from '@parley/messaging-service/testing';
import { Membership } from '@parley/search-service/domain/membership';
import { elasticQuery, parseSearchQuery } from '@parley/search-service/domain/search-query';
import { openSearchFixture } from '@parley/search-service/testing';
import { searchIndexName } from '@parley/tenancy';
import { type Benchmark, interleave, median, opsPerSecond } from '../harness.ts';

const MESSAGES = 100_000;
const CONVERSATIONS = 500;
const BULK = 5_000;
const LIMIT = 20;
const QUERY = 'quarterly report';

/** A small vocabulary, so a query word matches a realistic share of the tenant (a few percent). */
const WORDS = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`).concat([
  'quarterly',
  'report',
  'deadline',
  'budget',
  'review',
  'launch',
]);

const benchmark: Benchmark = {
  name: 'search-permission-filter',
  goal: '>= 0.7 x the same query without the permission filter (queries/s), 100,000 messages, 500 conversations',
  minRatio: 0.7,
  needsStack: true,
  async run(context) {
    const messaging = await openMessagingFixture();
    const tenant = messaging.tenant;
    let search: Awaited<ReturnType<typeof openSearchFixture>> | undefined;
    try {
      const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
      // No broker: nothing is consumed, the documents are bulk-indexed below.
      search = await openSearchFixture({
        tenant,
        keyring: messaging.keyring,
        mongo: messaging.mongo,
        redis: messaging.redis,
        messagingUrl,
        serviceToken: SERVICE_TOKEN,
      });
      const { index, es } = search.components;
      // Half the conversations alice's (she belongs to them), half bob's (she does not).
      const conversations: string[] = [];
      for (let i = 0; i < CONVERSATIONS; i++) {
        const owner = i % 2 === 0 ? 'alice' : 'bob';
        const res = await messaging.call(owner, 'POST', '/conversations', { kind: 'group', name: `c${i}` });
        if (res.statusCode !== 201) throw new Error(`conversation answered ${res.statusCode}: ${res.body}`);
        conversations.push(res.json().id as string);
      }
      await index.ensure(tenant);
      const started = Date.now();
      for (let offset = 0; offset < MESSAGES; offset += BULK) {
        const writes = Array.from({ length: Math.min(BULK, MESSAGES - offset) }, (_, i) => {
          const n = offset + i;
          const text = Array.from({ length: 12 }, () => WORDS[randomInt(WORDS.length)]).join(' ');
          return {
            kind: 'upsert' as const,
            tenant,
            document: {
              messageId: randomUUID(),
              conversationId: conversations[n % CONVERSATIONS] as string,
              senderId: n % 2 === 0 ? 'alice' : 'bob',
              text,
              createdAt: new Date(started - (MESSAGES - n) * 1000).toISOString(),
              changeSeq: 1,
              deleted: false,
              hasAttachment: false,
            },
          };
        });
        await index.apply(writes);
      }
      await es.indices.refresh({ index: searchIndexName(tenant) });
      await es.indices.forcemerge({ index: searchIndexName(tenant), max_num_segments: 1 });
      const seedSeconds = Math.round((Date.now() - started) / 100) / 10;

      const caller = { tenant, userId: 'alice', roles: ['member'] };
      const parsed = parseSearchQuery(QUERY);
      // The same query as the service builds, less its first filter (the caller's conversations).
      const full = elasticQuery(parsed, ['x']) as { bool: { must: object[]; filter: object[] } };
      const unfiltered = { bool: { must: full.bool.must, filter: full.bool.filter.slice(1) } };
      let filteredHits = 0;
      let unfilteredHits = 0;
      const filtered = async () => {
        const page = await search?.components.search.search(caller, QUERY, { limit: LIMIT });
        filteredHits = page?.results.length ?? 0;
      };
      const plain = async () => {
        const hits = await index.search(tenant, unfiltered, { size: LIMIT + 1 });
        unfilteredHits = hits.length;
      };
      const rates = await interleave(
        context,
        (ms) => opsPerSecond(filtered, ms),
        (ms) => opsPerSecond(plain, ms),
      );
      // Where the filtered query's time goes: messaging's membership answer, and the filtered ES query alone.
      const membership = new Membership(search.components.messaging);
      const ids = await membership.conversationsOf(caller);
      const lookup: number[] = [];
      const esOnly: number[] = [];
      const esUnfiltered: number[] = [];
      for (let i = 0; i < 20; i++) {
        let t = performance.now();
        await membership.conversationsOf(caller);
        lookup.push(performance.now() - t);
        t = performance.now();
        await index.search(tenant, elasticQuery(parsed, ids), { size: LIMIT + 1 });
        esOnly.push(performance.now() - t);
        // The unfiltered query timed the same way, beside it (the rates' mean includes other load).
        t = performance.now();
        await index.search(tenant, unfiltered, { size: LIMIT + 1 });
        esUnfiltered.push(performance.now() - t);
      }
      if (filteredHits === 0 || unfilteredHits === 0) throw new Error('the query found nothing');
      return {
        parley: {
          label: 'search with permission filter (250 of 500 conversations)',
          value: rates.parley,
          unit: 'queries/s',
        },
        reference: { label: 'same query, no permission filter', value: rates.reference, unit: 'queries/s' },
        details: {
          messages: MESSAGES,
          conversations: CONVERSATIONS,
          callerConversations: CONVERSATIONS / 2,
          pageSize: LIMIT,
          seedSeconds,
          membershipLookupP50Ms: Math.round(median(lookup) * 10) / 10,
          filteredEsQueryP50Ms: Math.round(median(esOnly) * 10) / 10,
          unfilteredEsQueryP50Ms: Math.round(median(esUnfiltered) * 10) / 10,
          unfilteredEsQueryMeanMs: Math.round((1000 / rates.reference) * 10) / 10,
        },
      };
    } finally {
      await search?.close();
      await messaging.close();
    }
  },
};

export default benchmark;
