/**
 * Attachments bound to messages, on the real stack: messaging (its fixture on a port, publishing
 * through its outbox relay to Kafka) asks the real media service (on a port, over MinIO and
 * Mongo-wire) to bind a send's uploads; media's consumer follows the tenant's messages topic and
 * removes a deleted message's files, unless a legal hold keeps them. The attacks are performed:
 * another tenant's upload id, another member's upload, an upload into another conversation, one
 * upload on two messages, a download by a non-member.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mediaObjectKey } from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { MediaClient } from '@parley/media-client';
import {
  MEDIA_TEST_TOKEN,
  type MediaFixture,
  openMediaFixture,
} from '@parley/media-service/src/testing/media-fixture.ts';
import { unattachedUploadsSweeper } from '@parley/media-service/src/workers/unattached-uploads.ts';
import { immediatePublisher } from '@parley/messaging-service/publisher';
import { createMessagingRelay } from '@parley/messaging-service/relay';
import { MediaAttachmentBinder } from '@parley/messaging-service/src/domain/attachment-binder.ts';
import { messagingSettingsSchema } from '@parley/messaging-service/src/settings.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
  uniqueTenant,
} from '@parley/messaging-service/testing';
import type { OutboxRelay } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import {
  kafkaTopic,
  mongoDatabaseName,
  s3BucketName,
  tenantRuntimeKey,
  writeTenantRuntimeRecord,
} from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let kafka: KafkaConnection;
let relay: OutboxRelay;
let messaging: MessagingFixture;
let media: MediaFixture;
let tenant: string;
let otherTenant: string;
let conversationId: string;
let otherConversationId: string;
/** While true, messaging's writes leave their events in the outbox (a test pauses delivery). */
let holdingEvents = false;

function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

async function upload(userId: string, options: { conversation?: string; tenant?: string } = {}) {
  const answer = await media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${options.tenant ?? tenant}/conversations/${options.conversation ?? conversationId}/media`,
    headers: { ...media.as(userId), 'content-type': 'image/png' },
    payload: png(4000),
  });
  expect(answer.statusCode).toBe(201);
  return answer.json().mediaId as string;
}

function send(
  userId: string,
  mediaIds: string[],
  options: { clientMessageId?: string; conversation?: string } = {},
) {
  return messaging.call(userId, 'POST', `/conversations/${options.conversation ?? conversationId}/messages`, {
    clientMessageId: options.clientMessageId ?? randomUUID(),
    text: 'see attached',
    attachments: mediaIds.map((mediaId) => ({ mediaId })),
  });
}

const recordOf = (mediaId: string, t = tenant) =>
  media.mongo.client
    .db(mongoDatabaseName(t))
    .collection('media')
    .findOne({ _id: mediaId as never });

async function objectExists(mediaId: string, conversation = conversationId): Promise<boolean> {
  try {
    await media.s3.statObject(
      s3BucketName(tenant),
      mediaObjectKey({ conversationId: conversation, mediaId }),
    );
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFound') return false;
    throw error;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(200);
  }
}

beforeAll(async () => {
  kafka = await connectKafka(
    kafkaSettingsFromConfig(loadConfig(messagingSettingsSchema), 'media-attachments-test'),
    createSilentLogger(),
  );
  tenant = uniqueTenant('ma');
  await kafka.admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: kafkaTopic(tenant, 'messages'), numPartitions: 1 },
      { topic: kafkaTopic(tenant, 'members'), numPartitions: 1 },
    ],
  });
  // Both services call each other: each learns the other's address once it listens.
  let late: OutboxRelay | undefined;
  let binder: MediaAttachmentBinder | undefined;
  messaging = await openMessagingFixture({
    tenant,
    publisher: {
      publishNow: (collection, id, written, writing) =>
        late && !holdingEvents
          ? immediatePublisher(late).publishNow(collection, id, written, writing)
          : Promise.resolve(),
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
  media = await openMediaFixture({
    keyring: messaging.keyring,
    messagingUrl,
    messagingToken: MESSAGING_TOKEN,
    kafka,
    consumeTenant: tenant,
  });
  await media.addTenant(tenant);
  const mediaUrl = await media.app.listen({ host: '127.0.0.1', port: 0 });
  binder = new MediaAttachmentBinder(
    new MediaClient({ baseUrl: mediaUrl, serviceToken: MEDIA_TEST_TOKEN, timeoutMs: 5_000 }),
  );

  const created = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Files',
    memberIds: ['bob'],
  });
  expect(created.statusCode).toBe(201);
  conversationId = created.json().id;
  const other = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Elsewhere',
    memberIds: ['carol'],
  });
  otherConversationId = other.json().id;

  // Another tenant, served by the same services, where alice (another alice) has an upload.
  otherTenant = uniqueTenant('mb');
  await writeTenantRuntimeRecord(messaging.redis.client, otherTenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 10, storageGiB: 1, messagesPerSecond: 10 },
    generation: 1,
  });
  await messaging.keyring.ensureTenantKey(otherTenant);
  await media.addTenant(otherTenant);
}, 120_000);

afterAll(async () => {
  await media?.close();
  await relay?.stop();
  await messaging?.mongo.client
    .db(mongoDatabaseName(otherTenant))
    .dropDatabase()
    .catch(() => {});
  await messaging?.redis.client.del(tenantRuntimeKey(otherTenant));
  await messaging?.close();
  await kafka?.admin.deleteTopics({
    topics: [kafkaTopic(tenant, 'messages'), kafkaTopic(tenant, 'members')],
  });
  await kafka?.stop();
}, 60_000);

describe('binding', () => {
  it('a sender attaches their own upload: the message carries it, media records the message', async () => {
    const mediaId = await upload('alice');
    const sent = await send('alice', [mediaId, mediaId]);
    expect(sent.statusCode).toBe(201);
    expect(sent.json().attachments).toEqual([{ mediaId }]);
    expect((await recordOf(mediaId))?.messageId).toBe(sent.json().id);

    // Members download it; someone outside the conversation gets the 404 of an unknown id.
    const asBob = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
      headers: media.as('bob'),
    });
    expect(asBob.statusCode).toBe(200);
    const asCarol = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
      headers: media.as('carol'),
    });
    expect(asCarol.statusCode).toBe(404);
    expect(asCarol.json().type).toContain('media-not-found');
  });

  it('a retried send binds nothing twice and answers the first message', async () => {
    const mediaId = await upload('alice');
    const clientMessageId = randomUUID();
    const first = await send('alice', [mediaId], { clientMessageId });
    const again = await send('alice', [mediaId], { clientMessageId });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
  });

  it('refuses another member’s upload (422), and the send writes nothing', async () => {
    const bobs = await upload('bob');
    const before = await messaging.db.collection('messages').countDocuments({});
    const sent = await send('alice', [bobs]);
    expect(sent.statusCode).toBe(422);
    expect(sent.json().type).toContain('attachment-not-allowed');
    expect(await messaging.db.collection('messages').countDocuments({})).toBe(before);
    expect((await recordOf(bobs))?.messageId).toBeUndefined();
  });

  it('refuses another tenant’s upload id (the attack: a real id of another tenant)', async () => {
    const created = await messaging.call(
      'alice',
      'POST',
      '/conversations',
      { kind: 'group', name: 'Theirs', memberIds: [] },
      { tenant: otherTenant },
    );
    expect(created.statusCode).toBe(201);
    const theirs = await upload('alice', { tenant: otherTenant, conversation: created.json().id });
    const sent = await send('alice', [theirs]);
    expect(sent.statusCode).toBe(422);
    expect((await recordOf(theirs, otherTenant))?.messageId).toBeUndefined();
  });

  it('refuses an upload into another conversation, and an upload already on another message', async () => {
    const elsewhere = await upload('alice', { conversation: otherConversationId });
    expect((await send('alice', [elsewhere])).statusCode).toBe(422);

    const once = await upload('alice');
    expect((await send('alice', [once])).statusCode).toBe(201);
    expect((await send('alice', [once])).statusCode).toBe(422);
  });

  it('binds all or nothing: one bad id leaves the good one free for another send', async () => {
    const good = await upload('alice');
    const bobs = await upload('bob');
    expect((await send('alice', [good, bobs])).statusCode).toBe(422);
    expect((await recordOf(good))?.messageId).toBeUndefined();
    expect((await send('alice', [good])).statusCode).toBe(201);
  });

  it('refuses the binding route to any caller but messaging', async () => {
    const answer = await media.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/attachments`,
      headers: { 'x-service-token': 'not-a-service-token-0123456789' },
      payload: { conversationId, messageId: 'm1', senderId: 'alice', mediaIds: ['x'] },
    });
    expect(answer.statusCode).toBe(401);
  });
});

describe('removal with the message', () => {
  it('deleting the message removes its file from the bucket and the record', async () => {
    const mediaId = await upload('alice');
    const sent = await send('alice', [mediaId]);
    expect(await objectExists(mediaId)).toBe(true);
    const deleted = await messaging.call(
      'alice',
      'DELETE',
      `/conversations/${conversationId}/messages/${sent.json().id}`,
    );
    expect(deleted.statusCode).toBe(200);
    await until(async () => !(await objectExists(mediaId)) && !(await recordOf(mediaId)));
  }, 60_000);

  it('a moderator’s delete of a member’s message removes the member’s file too', async () => {
    const mediaId = await upload('bob');
    const sent = await send('bob', [mediaId]);
    expect(sent.statusCode).toBe(201);
    // alice created the conversation: its owner.
    const deleted = await messaging.call(
      'alice',
      'DELETE',
      `/conversations/${conversationId}/messages/${sent.json().id}`,
    );
    expect(deleted.statusCode).toBe(200);
    await until(async () => !(await objectExists(mediaId)));
  }, 60_000);

  it('a message under legal hold cannot be deleted: messaging refuses, and the file stays served', async () => {
    const holds = new LegalHoldStore(media.mongo.client, tenant);
    const hold = await holds.place({
      scope: { kind: 'conversation', conversationId },
      reason: 'case 41',
      setBy: 'officer',
    });
    try {
      const mediaId = await upload('alice');
      const sent = await send('alice', [mediaId]);
      const refused = await messaging.call(
        'alice',
        'DELETE',
        `/conversations/${conversationId}/messages/${sent.json().id}`,
      );
      expect(refused.statusCode).toBe(409);
      expect(refused.json().type).toContain('legal-hold');
      const download = await media.app.inject({
        url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
        headers: media.as('bob'),
      });
      expect(download.statusCode).toBe(200);
      expect(await objectExists(mediaId)).toBe(true);
    } finally {
      await holds.lift(hold.id, { liftedBy: 'officer', reason: 'case closed' });
    }
  }, 60_000);

  it('a hold placed after the delete but before media consumes it keeps the file in the bucket, never served again', async () => {
    const mediaId = await upload('alice');
    const sent = await send('alice', [mediaId]);
    // The delete's event waits in messaging's outbox (relay and immediate publishing paused)...
    await relay.stop();
    holdingEvents = true;
    const holds = new LegalHoldStore(media.mongo.client, tenant);
    let holdId: string | undefined;
    try {
      const deleted = await messaging.call(
        'alice',
        'DELETE',
        `/conversations/${conversationId}/messages/${sent.json().id}`,
      );
      expect(deleted.statusCode).toBe(200);
      // ...while an officer places a hold on the conversation; then the event reaches media.
      holdId = (
        await holds.place({
          scope: { kind: 'conversation', conversationId },
          reason: 'case 42',
          setBy: 'officer',
        })
      ).id;
    } finally {
      holdingEvents = false;
      relay.start();
    }
    try {
      await until(async () => (await recordOf(mediaId))?.state === 'held');
      expect(await objectExists(mediaId)).toBe(true);
      const download = await media.app.inject({
        url: `/v1/tenants/${tenant}/media/${mediaId}/content`,
        headers: media.as('alice'),
      });
      expect(download.statusCode).toBe(404);
    } finally {
      await holds.lift(holdId as string, { liftedBy: 'officer', reason: 'case closed' });
    }
  }, 60_000);
});

describe('uploads never attached', () => {
  it('are removed after the TTL (object, record, quota use), attached ones stay, and a send racing the sweep is refused', async () => {
    const stale = await upload('alice');
    const attached = await upload('alice');
    expect((await send('alice', [attached])).statusCode).toBe(201);
    const usage = () =>
      media.mongo.client
        .db(mongoDatabaseName(tenant))
        .collection('media_usage')
        .findOne({ _id: 'storage' as never });
    const usedBefore = (await usage())?.bytes as number;
    // Older than the TTL: its completion pushed back an hour.
    await media.mongo.client
      .db(mongoDatabaseName(tenant))
      .collection('media')
      .updateOne({ _id: stale as never }, { $set: { updatedAt: new Date(Date.now() - 3_600_000) } });
    const fresh = await upload('alice');
    const sweeper = unattachedUploadsSweeper({
      records: media.components.records,
      deletions: media.components.deletions,
      tenants: async () => [tenant],
      ttlMs: 60_000,
      intervalMs: 60_000,
      logger: createSilentLogger(),
    });
    expect(await sweeper.runNow()).toBe(1);
    expect(await recordOf(stale)).toBeNull();
    expect(await objectExists(stale)).toBe(false);
    // `fresh` added 4000 bytes since, the swept one gave its 4000 back.
    expect((await usage())?.bytes).toBe(usedBefore);
    expect(await objectExists(attached)).toBe(true);
    expect((await recordOf(fresh))?.state).toBe('ready');
    // A send naming the swept upload is refused like any unknown id.
    expect((await send('alice', [stale])).statusCode).toBe(422);

    // Claimed (`expiring`) records can no longer be bound: the race is lost by the send.
    await media.mongo.client
      .db(mongoDatabaseName(tenant))
      .collection('media')
      .updateOne({ _id: fresh as never }, { $set: { state: 'expiring' } });
    expect((await send('alice', [fresh])).statusCode).toBe(422);
    expect(await sweeper.runNow()).toBe(1);
    expect(await objectExists(fresh)).toBe(false);
  }, 60_000);
});
