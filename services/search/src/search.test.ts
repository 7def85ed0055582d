// Search on the real stack: messaging (its fixture, listening on a real port) writes and publishes
// through its outbox to Kafka, this service's consumer decrypts with the tenant's key and indexes
// into the tenant's Elasticsearch index, and every search asks messaging for the caller's
// conversations at that moment. Isolation is tested by attacking it: another conversation's id,
// another tenant's path and ids, an index name in the query, a forged event on a tenant's topic.
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, MessageChangedPayload, SearchPage } from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { checkOpenApiCoverage, createSilentLogger } from '@parley/kit/testing';
import { immediatePublisher } from '@parley/messaging-service/publisher';
import { createMessagingRelay } from '@parley/messaging-service/relay';
import {
  type MessagingFixture,
  openMessagingFixture,
  SERVICE_TOKEN,
  uniqueTenant,
} from '@parley/messaging-service/testing';
import type { OutboxRelay } from '@parley/outbox';
import {
  kafkaTopic,
  searchIndexName,
  TENANT_REGISTRY_COLLECTION,
  type TenantLanguage,
} from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchSettingsSchema } from './settings.ts';
import { openSearchFixture, type SearchFixture } from './testing/search-fixture.ts';

interface Side {
  tenant: string;
  messaging: MessagingFixture;
  relay: OutboxRelay;
  search: SearchFixture;
}

let kafka: KafkaConnection;
let a: Side;
let b: Side;

async function openSide(label: string, language?: TenantLanguage): Promise<Side> {
  const tenant = uniqueTenant(label);
  await kafka.admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: kafkaTopic(tenant, 'messages'), numPartitions: 1 },
      { topic: kafkaTopic(tenant, 'members'), numPartitions: 1 },
    ],
  });
  let late: OutboxRelay | undefined;
  const messaging = await openMessagingFixture({
    tenant,
    // Media's part of a send (binding the uploads) accepts every id here: what media refuses is
    // tested in tests/integration/media-attachments.test.ts; this file needs only the event field.
    attachments: { bind: async () => {} },
    publisher: {
      publishNow: (collection, id, written, writing) =>
        late ? immediatePublisher(late).publishNow(collection, id, written, writing) : Promise.resolve(),
    },
  });
  const relay = createMessagingRelay({
    producer: kafka.producer,
    store: messaging.components.store,
    logger: createSilentLogger(),
    intervalMs: 500,
    tenants: () => [tenant],
  });
  relay.start();
  late = relay;
  // The operator's registry entry carries spec.language; the index is made at the first write.
  if (language)
    await messaging.platformDb
      .collection<{ _id: string; language?: string }>(TENANT_REGISTRY_COLLECTION)
      .updateOne({ _id: tenant }, { $set: { language } });
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  const search = await openSearchFixture({
    tenant,
    keyring: messaging.keyring,
    mongo: messaging.mongo,
    redis: messaging.redis,
    kafka,
    messagingUrl,
    serviceToken: SERVICE_TOKEN,
    platformDb: messaging.platformDb,
  });
  return { tenant, messaging, relay, search };
}

async function closeSide(side: Side | undefined): Promise<void> {
  if (!side) return;
  await side.search.close();
  await side.relay.stop();
  await side.messaging.close();
}

beforeAll(async () => {
  kafka = await connectKafka(
    kafkaSettingsFromConfig(loadConfig(searchSettingsSchema), 'search-test'),
    createSilentLogger(),
  );
  a = await openSide('sa');
  b = await openSide('sb');
}, 120_000);

afterAll(async () => {
  await closeSide(a);
  await closeSide(b);
  await kafka?.stop();
}, 60_000);

const alice = 'alice';
const bob = 'bob';
const carol = 'carol';

async function group(side: Side, owner: string, memberIds: string[]): Promise<string> {
  const res = await side.messaging.call(owner, 'POST', '/conversations', {
    kind: 'group',
    name: `g-${randomUUID().slice(0, 8)}`,
    memberIds,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function send(side: Side, sender: string, conversationId: string, text: string): Promise<string> {
  const res = await side.messaging.call(sender, 'POST', `/conversations/${conversationId}/messages`, {
    clientMessageId: randomUUID(),
    text,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function find(
  side: Side,
  userId: string,
  q: string,
  options: { limit?: number; cursor?: string; tenant?: string } = {},
): Promise<SearchPage> {
  const res = await side.search.search(userId, q, options);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Polls until `check` holds for the search's answer (indexing is asynchronous: Kafka, then the index's refresh). */
async function eventually(
  side: Side,
  userId: string,
  q: string,
  check: (page: SearchPage) => boolean,
): Promise<SearchPage> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const page = await find(side, userId, q);
    if (check(page)) return page;
    if (Date.now() > deadline) throw new Error(`search "${q}" never matched: ${JSON.stringify(page)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ids = (page: SearchPage) => page.results.map((r) => r.messageId);

describe('indexing the messages topic', () => {
  it('makes a new message searchable, with highlights; reflects an edit; forgets a delete', async () => {
    const conv = await group(a, alice, [bob]);
    const id = await send(a, alice, conv, 'the quarterly zebra report is late');
    const found = await eventually(a, bob, 'zebra', (p) => ids(p).includes(id));
    const hit = found.results.find((r) => r.messageId === id);
    expect(hit).toMatchObject({
      conversationId: conv,
      senderId: alice,
      text: 'the quarterly zebra report is late',
    });
    expect(hit?.highlights.join(' ')).toContain('<mark>zebra</mark>');

    const edit = await a.messaging.call(alice, 'PATCH', `/conversations/${conv}/messages/${id}`, {
      text: 'the quarterly giraffe report is late',
    });
    expect(edit.statusCode, edit.body).toBe(200);
    const edited = await eventually(a, bob, 'giraffe', (p) => ids(p).includes(id));
    expect(edited.results.find((r) => r.messageId === id)?.editedAt).toBeDefined();
    expect(ids(await find(a, bob, 'zebra'))).not.toContain(id);

    const del = await a.messaging.call(alice, 'DELETE', `/conversations/${conv}/messages/${id}`);
    expect(del.statusCode, del.body).toBe(200);
    await eventually(a, bob, 'giraffe', (p) => !ids(p).includes(id));
    // Forgotten in the index itself, not only filtered out of answers: no text is left anywhere.
    await a.search.components.es.indices.refresh({ index: searchIndexName(a.tenant) });
    const stored = await a.search.components.es
      .get({ index: searchIndexName(a.tenant), id })
      .then((r) => r.body._source as Record<string, unknown>)
      .catch(() => undefined);
    // Either the tombstone removed it already, or the delete left a document without content.
    expect(stored === undefined || (stored.deleted === true && stored.text === undefined)).toBe(true);
  }, 120_000);

  it('never lets an older state overwrite a newer one (external versions on the seq)', async () => {
    const conv = await group(a, alice, []);
    const id = await send(a, alice, conv, 'original wombat text');
    await eventually(a, alice, 'wombat', (p) => ids(p).includes(id));
    await a.messaging.call(alice, 'PATCH', `/conversations/${conv}/messages/${id}`, {
      text: 'newer koala text',
    });
    const page = await eventually(a, alice, 'koala', (p) => ids(p).includes(id));
    const current = page.results.find((r) => r.messageId === id);
    // A replay of the send (seq 1 of this message's conversation) after the edit.
    const index = a.search.components.index;
    await index.apply(
      [
        {
          kind: 'upsert',
          tenant: a.tenant,
          document: {
            messageId: id,
            conversationId: conv,
            senderId: alice,
            createdAt: current?.createdAt as string,
            text: 'original wombat text',
            changeSeq: 1,
            deleted: false,
            hasAttachment: false,
          },
        },
      ],
      { refresh: true },
    );
    expect(ids(await find(a, alice, 'wombat'))).not.toContain(id);
    expect(ids(await find(a, alice, 'koala'))).toContain(id);
  }, 120_000);
});

describe('who finds what', () => {
  it('a member of one conversation never finds another conversation’s messages, even naming it', async () => {
    const mine = await group(a, alice, []);
    const theirs = await group(a, carol, []);
    const own = await send(a, alice, mine, 'otter meeting notes');
    const secret = await send(a, carol, theirs, 'otter salary secrets');
    await eventually(a, carol, 'otter', (p) => ids(p).includes(secret));
    await eventually(a, alice, 'otter', (p) => ids(p).includes(own));
    for (const q of ['otter', `otter in:${theirs}`, `in:${theirs}`, 'salary', `from:${carol}`, '*']) {
      expect(ids(await find(a, alice, q)), q).not.toContain(secret);
    }
    expect(ids(await find(a, carol, 'otter'))).toEqual([secret]);
  }, 120_000);

  it('a removed member stops finding the conversation at once', async () => {
    const conv = await group(a, alice, [bob]);
    const id = await send(a, alice, conv, 'penguin migration plan');
    await eventually(a, bob, 'penguin', (p) => ids(p).includes(id));
    const removed = await a.messaging.call(alice, 'DELETE', `/conversations/${conv}/members/${bob}`);
    expect(removed.statusCode, removed.body).toBe(204);
    expect(ids(await find(a, bob, 'penguin'))).not.toContain(id);
    expect(ids(await find(a, alice, 'penguin'))).toContain(id);
  }, 120_000);

  it('a member added, or joining a public channel, finds the conversation at the next query', async () => {
    const conv = await group(a, alice, []);
    const id = await send(a, alice, conv, 'walrus budget draft');
    await eventually(a, alice, 'walrus', (p) => ids(p).includes(id));
    // carol has searched before (so her conversation set is stored) and finds nothing of it yet.
    expect(ids(await find(a, carol, 'walrus'))).not.toContain(id);
    const added = await a.messaging.call(alice, 'POST', `/conversations/${conv}/members`, { userId: carol });
    expect(added.statusCode, added.body).toBeLessThan(300);
    expect(ids(await find(a, carol, 'walrus'))).toContain(id);
    const created = await a.messaging.call(alice, 'POST', '/conversations', {
      kind: 'channel',
      name: 'walrus',
    });
    expect(created.statusCode, created.body).toBe(201);
    const channel = created.json().id;
    const inChannel = await send(a, alice, channel, 'walrus channel notes');
    await eventually(a, alice, 'walrus', (p) => ids(p).includes(inChannel));
    expect(ids(await find(a, bob, 'walrus'))).not.toContain(inChannel);
    const joined = await a.messaging.call(bob, 'POST', `/conversations/${channel}/join`);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(ids(await find(a, bob, 'walrus'))).toContain(inChannel);
    // And leaving it again takes it away at the next query.
    const left = await a.messaging.call(bob, 'DELETE', `/conversations/${channel}/members/${bob}`);
    expect(left.statusCode, left.body).toBe(204);
    expect(ids(await find(a, bob, 'walrus'))).not.toContain(inChannel);
  }, 120_000);

  it('another tenant finds nothing: not by its own path, ids, an index name in the query, or a forged event', async () => {
    const conv = await group(a, alice, [bob]);
    const id = await send(a, alice, conv, 'narwhal acquisition terms');
    await eventually(a, alice, 'narwhal', (p) => ids(p).includes(id));
    // Tenant B's alice (a user of the same name in another tenant) has her own conversation there.
    const bConv = await group(b, alice, []);
    const bId = await send(b, alice, bConv, 'narwhal in tenant b');
    await eventually(b, alice, 'narwhal', (p) => ids(p).includes(bId));
    for (const q of [
      'narwhal',
      `in:${conv}`,
      `narwhal in:${conv}`,
      `${searchIndexName(a.tenant)}`,
      `_index:${searchIndexName(a.tenant)} narwhal`,
      'parley-* narwhal',
    ]) {
      expect(ids(await find(b, alice, q)), q).not.toContain(id);
    }
    // And the other way: tenant A's alice never finds tenant B's alice's message.
    expect(ids(await find(a, alice, 'narwhal'))).not.toContain(bId);

    // A forged event on B's topic carrying A's sealed body: B's consumer cannot open it with B's key.
    const sealed = await a.messaging.components.sealer.seal(a.tenant, id, { text: 'narwhal forged copy' });
    const payload: MessageChangedPayload = {
      conversationId: bConv,
      messageId: id,
      seq: 99,
      messageSeq: 99,
      kind: 'message.created',
      senderId: alice,
      actorId: alice,
      at: new Date().toISOString(),
      createdAt: new Date().toISOString(),
      deleted: false,
      sealed,
      mentions: { users: [], channel: false },
    };
    const forged: EventEnvelope<MessageChangedPayload> = {
      id: randomUUID(),
      type: 'messaging.message.created.v1',
      tenant: b.tenant,
      time: new Date().toISOString(),
      schemaVersion: 1,
      source: 'attacker',
      payload,
    };
    await kafka.producer.send({
      topic: kafkaTopic(b.tenant, 'messages'),
      messages: [{ key: id, value: JSON.stringify(forged) }],
    });
    const skipped = b.search.components.metrics.skipped;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = (await skipped.get()).values.find(
        (v) => v.labels.tenant === b.tenant && v.labels.reason === 'undecryptable',
      );
      if (value && value.value >= 1) break;
      if (Date.now() > deadline) throw new Error('the forged event was never refused');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ids(await find(b, alice, 'narwhal'))).not.toContain(id);
    expect(ids(await find(b, alice, 'forged'))).toEqual([]);
  }, 120_000);
});

describe('queries', () => {
  it('pages with a cursor through every match exactly once', async () => {
    const conv = await group(a, alice, []);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await send(a, alice, conv, `lemur status ${i}`));
    await eventually(a, alice, `lemur in:${conv}`, (p) => sent.every((s) => ids(p).includes(s)));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await find(a, alice, `lemur in:${conv}`, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual([...sent].sort());
  }, 120_000);

  it('filters by sender and time', async () => {
    const conv = await group(a, alice, [bob]);
    const fromAlice = await send(a, alice, conv, 'ibis sighting');
    const fromBob = await send(a, bob, conv, 'ibis sighting too');
    await eventually(a, alice, `ibis in:${conv}`, (p) => ids(p).length === 2);
    expect(ids(await find(a, alice, `ibis in:${conv} from:${bob}`))).toEqual([fromBob]);
    expect(ids(await find(a, alice, `ibis in:${conv} from:@${alice}`))).toEqual([fromAlice]);
    expect(ids(await find(a, alice, `ibis in:${conv} before:2000-01-01`))).toEqual([]);
    expect(ids(await find(a, alice, `ibis in:${conv} after:2000-01-01`)).sort()).toEqual(
      [fromAlice, fromBob].sort(),
    );
    expect(ids(await find(a, alice, `ibis in:${conv} has:attachment`))).toEqual([]);
  }, 120_000);

  it('has:attachment finds the messages that carry files (the event names their media ids), and loses one deleted', async () => {
    const conv = await group(a, alice, [bob]);
    const res = await a.messaging.call(alice, 'POST', `/conversations/${conv}/messages`, {
      clientMessageId: randomUUID(),
      text: 'egret photo attached',
      attachments: [{ mediaId: `f${randomUUID().slice(0, 8)}` }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const withFile = res.json().id as string;
    const plain = await send(a, alice, conv, 'egret photo coming later');
    await eventually(a, alice, `egret in:${conv}`, (p) => ids(p).length === 2);
    expect(ids(await find(a, alice, `egret in:${conv} has:attachment`))).toEqual([withFile]);
    expect(ids(await find(a, alice, `in:${conv} has:attachment`))).toEqual([withFile]);
    expect(ids(await find(a, bob, `egret has:attachment in:${conv}`))).not.toContain(plain);
    const deleted = await a.messaging.call(alice, 'DELETE', `/conversations/${conv}/messages/${withFile}`);
    expect(deleted.statusCode).toBe(200);
    await eventually(a, alice, `in:${conv} has:attachment`, (p) => ids(p).length === 0);
  }, 120_000);

  it('answers a malformed query or cursor with a 400 problem, never a 500', async () => {
    for (const q of [
      '"unclosed phrase',
      'before:yesterday',
      'after:2024-13-45',
      'has:pdf',
      '(a | b',
      'a)',
      'from:',
      'in:<script>',
    ]) {
      const res = await a.search.search(alice, q);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const badCursor = await a.search.search(alice, 'x', { cursor: 'bm90LWEtY3Vyc29y' });
    expect(badCursor.statusCode).toBe(400);
    const tooLong = await a.search.search(alice, 'x'.repeat(600));
    expect(tooLong.statusCode).toBe(400);
    // What simple_query_string itself tolerates stays a 200.
    for (const q of ['***', '-', 'a || b', '~2 +-', '\\']) {
      const res = await a.search.search(alice, q);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
    }
  }, 60_000);
});

describe('the OpenAPI document', () => {
  it('is valid and documents the search route with its schemas and the service credential', async () => {
    const { findings, document } = await checkOpenApiCoverage(a.search.app);
    expect(findings).toEqual([]);
    expect(document.paths['/v1/tenants/{tenant}/search']?.get).toMatchObject({
      security: [{ serviceToken: [] }],
    });
  });

  it('answers an unknown tenant 404 and a missing credential 401, as problems', async () => {
    const unknown = await a.search.search(alice, 'x', { tenant: 'no-such-tenant-zz' });
    expect(unknown.statusCode).toBe(404);
    const bare = await a.search.app.inject({ method: 'GET', url: `/v1/tenants/${a.tenant}/search?q=x` });
    expect(bare.statusCode).toBe(401);
  });
});

describe('the reindex from messaging history', () => {
  const sorted = (page: SearchPage) => [...page.results].sort((x, y) => (x.messageId < y.messageId ? -1 : 1));

  it('rebuilds the index behind the tenant name, with the same results; indexing follows the swap', async () => {
    const conv = await group(a, alice, [bob]);
    const kept = await send(a, alice, conv, 'reindex pelican harbour notes');
    const edited = await send(a, bob, conv, 'reindex pelican first draft');
    const gone = await send(a, alice, conv, 'reindex pelican removed soon');
    const reply = await a.messaging.call(bob, 'POST', `/conversations/${conv}/messages`, {
      clientMessageId: randomUUID(),
      text: 'reindex pelican thread reply',
      parentId: kept,
    });
    expect(reply.statusCode, reply.body).toBe(201);
    const edit = await a.messaging.call(bob, 'PATCH', `/conversations/${conv}/messages/${edited}`, {
      text: 'reindex pelican final draft',
    });
    expect(edit.statusCode, edit.body).toBe(200);
    const del = await a.messaging.call(alice, 'DELETE', `/conversations/${conv}/messages/${gone}`);
    expect(del.statusCode, del.body).toBe(200);
    await eventually(
      a,
      bob,
      'pelican',
      (p) =>
        ids(p).length === 3 &&
        !ids(p).includes(gone) &&
        p.results.some((r) => r.messageId === edited && r.text.includes('final')),
    );
    const queries = ['pelican', 'final draft', 'pelican -harbour', `pelican from:${bob}`, 'removed', 'harb*'];
    const before = await Promise.all(queries.map((q) => find(a, bob, q)));
    expect(before[0]?.results).toHaveLength(3);

    const { es, reindexer } = a.search.components;
    const name = searchIndexName(a.tenant);
    const report = await reindexer.reindex(a.tenant);
    expect(report.documents).toBeGreaterThanOrEqual(4); // this test's four, the deleted one as its stub
    expect(report.dropped).toEqual([name]); // the index the name stood for until now
    const aliases = (await es.indices.getAlias({ name })).body as Record<string, unknown>;
    expect(Object.keys(aliases)).toEqual([report.index]);

    const after = await Promise.all(queries.map((q) => find(a, bob, q)));
    for (const [i, q] of queries.entries()) {
      expect(sorted(after[i] as SearchPage), q).toEqual(sorted(before[i] as SearchPage));
    }

    // The consumer writes to the name, so new messages land in the rebuilt index.
    const later = await send(a, alice, conv, 'reindex pelican after the swap');
    await eventually(a, bob, 'swap', (p) => ids(p).includes(later));
  }, 120_000);

  it('recovers a lost index: deleted outright, rebuilt from the history alone', async () => {
    const conv = await group(a, alice, []);
    const id = await send(a, alice, conv, 'reindex cormorant survives');
    await eventually(a, alice, 'cormorant', (p) => ids(p).includes(id));
    const { es, reindexer } = a.search.components;
    const name = searchIndexName(a.tenant);
    const aliases = (await es.indices.getAlias({ name })).body as Record<string, unknown>;
    for (const index of Object.keys(aliases)) await es.indices.delete({ index });
    expect(ids(await find(a, alice, 'cormorant'))).toEqual([]);

    await reindexer.reindex(a.tenant);
    const page = await find(a, alice, 'cormorant');
    expect(page.results).toMatchObject([
      { messageId: id, text: 'reindex cormorant survives', senderId: alice },
    ]);
  }, 120_000);
});

describe('the analyzer of the tenant language', () => {
  let de: Side | undefined;
  afterAll(async () => closeSide(de), 60_000);

  it("stems a German tenant's messages in German; the standard analyzer of another tenant does not", async () => {
    de = await openSide('sde', 'de');
    const conv = await group(de, alice, [bob]);
    const id = await send(de, alice, conv, 'Die Häuser am Hafen sind verkauft');
    // "Haus" finds "Häuser" (German stemming and umlaut folding).
    const page = await eventually(de, bob, 'Haus', (p) => ids(p).includes(id));
    expect(page.results[0]?.highlights.join(' ')).toContain('<mark>Häuser</mark>');
    expect(await de.search.components.index.analyzerIn(searchIndexName(de.tenant))).toBe('german');
    // Stop words: "die" and "sind" are not indexed, so a query of them alone finds nothing.
    expect(ids(await find(de, bob, 'die sind'))).toEqual([]);

    // Tenant A has no language: the same words, no stemming.
    const aConv = await group(a, alice, [bob]);
    const aId = await send(a, alice, aConv, 'Die Häuser am Hafen sind verkauft');
    await eventually(a, bob, 'Häuser', (p) => ids(p).includes(aId));
    expect(ids(await find(a, bob, 'Haus'))).not.toContain(aId);
    expect(await a.search.components.index.analyzerIn(searchIndexName(a.tenant))).toBe('standard');
  }, 120_000);

  it('a reindex after a language change rebuilds the index with the new analyzer', async () => {
    if (!de) throw new Error('the German tenant was not opened');
    const conv = await group(de, alice, []);
    const id = await send(de, alice, conv, 'les chevaux mangeaient');
    await eventually(de, alice, 'chevaux', (p) => ids(p).includes(id));
    expect(ids(await find(de, alice, 'cheval'))).not.toContain(id);
    await de.messaging.platformDb
      .collection<{ _id: string; language?: string }>(TENANT_REGISTRY_COLLECTION)
      .updateOne({ _id: de.tenant }, { $set: { language: 'fr' } });
    await de.search.components.reindexer.reindex(de.tenant);
    expect(await de.search.components.index.analyzerIn(searchIndexName(de.tenant))).toBe('french');
    expect(ids(await find(de, alice, 'cheval'))).toContain(id);
  }, 120_000);
});
