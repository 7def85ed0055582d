/**
 * Attachment names in search, on the real stack: messaging (its fixture on a port, publishing
 * through its outbox relay to Kafka) binds uploads through the real media service (MinIO,
 * Mongo-wire); search's consumer indexes each message into Elasticsearch with its files' names,
 * which it asks media for (events carry media ids only). A search for a file name finds the
 * message that carries it, for members of its conversation only (the attack: a non-member
 * searching another conversation's file name, a member removed since); a reaction re-indexes the
 * message without losing the names; media's names route answers only search, and only for files
 * bound to the message named.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SearchPage } from '@parley/contracts';
import {
  connectKafka,
  type KafkaConnection,
  kafkaSettingsFromConfig,
  loadConfig,
  ServiceCallers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { MediaClient } from '@parley/media-client';
import { buildApp as buildMediaApp } from '@parley/media-service/src/app.ts';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import { immediatePublisher } from '@parley/messaging-service/publisher';
import { createMessagingRelay } from '@parley/messaging-service/relay';
import { MediaAttachmentBinder } from '@parley/messaging-service/src/domain/attachment-binder.ts';
import { messagingSettingsSchema } from '@parley/messaging-service/src/settings.ts';
import {
  type MessagingFixture,
  openMessagingFixture,
  SERVICE_TOKEN,
  uniqueTenant,
} from '@parley/messaging-service/testing';
import type { OutboxRelay } from '@parley/outbox';
import { openSearchFixture, type SearchFixture } from '@parley/search-service/testing';
import { kafkaTopic, searchIndexName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let kafka: KafkaConnection;
let relay: OutboxRelay;
let messaging: MessagingFixture;
let media: MediaFixture;
let search: SearchFixture;
let tenant: string;
let files: string;
let board: string;
let filesMessage: string;
let boardMessage: string;

function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

async function upload(userId: string, conversationId: string, name: string): Promise<string> {
  const answer = await media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/conversations/${conversationId}/media?name=${encodeURIComponent(name)}`,
    headers: { ...media.as(userId), 'content-type': 'image/png' },
    payload: png(3000),
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json().mediaId as string;
}

async function sendWith(userId: string, conversationId: string, text: string, mediaIds: string[]) {
  const answer = await messaging.call(userId, 'POST', `/conversations/${conversationId}/messages`, {
    clientMessageId: randomUUID(),
    text,
    attachments: mediaIds.map((mediaId) => ({ mediaId })),
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json().id as string;
}

async function find(userId: string, q: string): Promise<SearchPage> {
  const answer = await search.search(userId, q);
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json();
}

const ids = (page: SearchPage) => page.results.map((r) => r.messageId);

/** Polls until `check` holds (indexing is asynchronous: Kafka, media's answer, the index's refresh). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 60 s`);
    await sleep(250);
  }
}

beforeAll(async () => {
  kafka = await connectKafka(
    kafkaSettingsFromConfig(loadConfig(messagingSettingsSchema), 'search-attachment-names-test'),
    createSilentLogger(),
  );
  tenant = uniqueTenant('sn');
  await kafka.admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: kafkaTopic(tenant, 'messages'), numPartitions: 1 },
      { topic: kafkaTopic(tenant, 'members'), numPartitions: 1 },
    ],
  });
  // Messaging and media call each other: each learns the other's address once it listens.
  let late: OutboxRelay | undefined;
  let binder: MediaAttachmentBinder | undefined;
  messaging = await openMessagingFixture({
    tenant,
    publisher: {
      publishNow: (collection, id) =>
        late ? immediatePublisher(late).publishNow(collection, id) : Promise.resolve(),
    },
    attachments: {
      bind: (t, request) => {
        if (!binder) throw new Error('media not listening yet');
        return binder.bind(t, request);
      },
    },
  });
  relay = createMessagingRelay({
    producer: kafka.producer,
    store: messaging.components.store,
    logger: createSilentLogger(),
    intervalMs: 500,
    tenants: () => [tenant],
  });
  relay.start();
  late = relay;
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  // One credential for every call of the test (a bare token passes every caller check; the
  // names route's own check is tested below on an app with named callers).
  media = await openMediaFixture({
    keyring: messaging.keyring,
    messagingUrl,
    messagingToken: SERVICE_TOKEN,
    callerToken: SERVICE_TOKEN,
  });
  await media.addTenant(tenant);
  const mediaUrl = await media.app.listen({ host: '127.0.0.1', port: 0 });
  binder = new MediaAttachmentBinder(new MediaClient({ baseUrl: mediaUrl, serviceToken: SERVICE_TOKEN }));
  search = await openSearchFixture({
    tenant,
    keyring: messaging.keyring,
    mongo: messaging.mongo,
    redis: messaging.redis,
    kafka,
    messagingUrl,
    mediaUrl,
    serviceToken: SERVICE_TOKEN,
    platformDb: messaging.platformDb,
  });

  for (const [name, member] of [
    ['Files', 'bob'],
    ['Board', 'carol'],
  ] as const) {
    const created = await messaging.call('alice', 'POST', '/conversations', {
      kind: 'group',
      name,
      memberIds: [member],
    });
    expect(created.statusCode, created.body).toBe(201);
    if (name === 'Files') files = created.json().id;
    else board = created.json().id;
  }
  filesMessage = await sendWith('alice', files, 'see attached', [
    await upload('alice', files, 'quarterly-forecast-2027.png'),
  ]);
  boardMessage = await sendWith('alice', board, 'for the board only', [
    await upload('alice', board, 'zephyr-merger-terms.png'),
  ]);
}, 120_000);

afterAll(async () => {
  await search?.close();
  await media?.close();
  await relay?.stop();
  await messaging?.close();
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(tenant, 'messages'), kafkaTopic(tenant, 'members')] })
    .catch(() => {});
  await kafka?.stop();
}, 60_000);

describe('attachment names in search', { timeout: 120_000 }, () => {
  it('a search for a file name finds the message that carries it, with the name highlighted', async () => {
    await until('bob finds the forecast by its file name', async () =>
      ids(await find('bob', 'forecast')).includes(filesMessage),
    );
    const page = await find('bob', 'quarterly forecast');
    const hit = page.results.find((r) => r.messageId === filesMessage);
    expect(hit).toMatchObject({ conversationId: files, text: 'see attached', hasAttachment: true });
    expect(hit?.highlights.join(' ')).toContain('<mark>forecast</mark>');
    // The text does not carry the word: only the file's name can have found it.
    expect(hit?.text).not.toContain('forecast');
  });

  it('the attack: a non-member never finds another conversation’s file by its name', async () => {
    // Indexed (carol, a member, finds it), so bob's empty answer is the filter's, not the lag's.
    await until('carol finds the board file', async () =>
      ids(await find('carol', 'zephyr')).includes(boardMessage),
    );
    expect(ids(await find('bob', 'zephyr'))).toEqual([]);
    expect(ids(await find('bob', `zephyr in:${board}`))).toEqual([]);
    expect(ids(await find('carol', 'forecast'))).toEqual([]);
  });

  it('a reaction re-indexes the message and keeps its file names', async () => {
    const before = await search.components.es.get({ index: searchIndexName(tenant), id: filesMessage });
    const seqBefore = (before.body._source as { changeSeq: number }).changeSeq;
    const reacted = await messaging.call(
      'bob',
      'PUT',
      `/conversations/${files}/messages/${filesMessage}/reactions/${encodeURIComponent('👍')}`,
    );
    expect(reacted.statusCode, reacted.body).toBe(200);
    let source: { changeSeq: number; attachmentNames?: string } = { changeSeq: seqBefore };
    await until('the reaction is indexed', async () => {
      const doc = await search.components.es.get({ index: searchIndexName(tenant), id: filesMessage });
      source = doc.body._source as typeof source;
      return source.changeSeq > seqBefore;
    });
    expect(source.attachmentNames).toBe('quarterly-forecast-2027.png');
    await until('the file is found by name after the reaction', async () =>
      ids(await find('bob', 'forecast')).includes(filesMessage),
    );
  });

  it('a member removed from the conversation stops finding its file by name', async () => {
    const removed = await messaging.call('alice', 'DELETE', `/conversations/${files}/members/bob`);
    expect(removed.statusCode, removed.body).toBeLessThan(300);
    expect(ids(await find('bob', 'forecast'))).toEqual([]);
    expect(ids(await find('alice', 'forecast'))).toEqual([filesMessage]);
  });

  it('media names only files bound to the message asked about, and only to search', async () => {
    const bound = await media.components.records.byMessage(tenant, boardMessage);
    const mediaIds = bound.map((r) => r._id);
    const named = (messageId: string, token: string, app = media.app) =>
      app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/attachments/names`,
        headers: { 'x-service-token': token },
        payload: { messageId, mediaIds },
      });
    const right = await named(boardMessage, SERVICE_TOKEN);
    expect(right.statusCode, right.body).toBe(200);
    expect(right.json()).toEqual({ files: [{ mediaId: mediaIds[0], name: 'zephyr-merger-terms.png' }] });
    // Another message's id learns nothing of these files.
    expect((await named(filesMessage, SERVICE_TOKEN)).json()).toEqual({ files: [] });

    // With named callers (as SERVICE_TOKENS gives them in a deployment), only search's passes.
    const searchToken = `search-${'s'.repeat(40)}`;
    const messagingToken = `messaging-${'m'.repeat(40)}`;
    const gatewayToken = `gateway-${'g'.repeat(40)}`;
    const strict = buildMediaApp({
      ...media.components,
      callers: ServiceCallers.of({ search: searchToken, messaging: messagingToken, gateway: gatewayToken }),
    });
    try {
      expect((await named(boardMessage, searchToken, strict)).statusCode).toBe(200);
      for (const token of [messagingToken, gatewayToken, 'not-a-token']) {
        const refused = await named(boardMessage, token, strict);
        expect([401, 403]).toContain(refused.statusCode);
        expect(refused.headers['content-type']).toContain('application/problem+json');
      }
    } finally {
      await strict.close();
    }
  });
});
