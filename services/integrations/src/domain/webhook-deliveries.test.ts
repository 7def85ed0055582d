// The delivery log on the real Mongo-wire server (the local stack's FerretDB): a batch enqueued
// twice is enqueued once (the second insertMany's duplicate keys are expected and answered as
// nothing new), and two deliverers claiming the same due deliveries at the same moment never both
// win one (FerretDB lets two conditional updates of one document both succeed; the unique claim
// per read state is what decides), while together they take every one.
import { randomUUID } from 'node:crypto';
import { mongoDatabaseName } from '@parley/tenancy';
import { MongoClient } from 'mongodb';
import { afterAll, expect, it } from 'vitest';
import { type NewDelivery, WebhookDeliveries } from './webhook-deliveries.ts';

const tenant = `whd${randomUUID().slice(0, 8)}`;
const mongo = new MongoClient(process.env.MONGO_URL ?? '');

afterAll(async () => {
  await mongo.db(mongoDatabaseName(tenant)).dropDatabase();
  await mongo.close();
});

const deliveriesOf = (n: number, endpointId: string): NewDelivery[] =>
  Array.from({ length: n }, (_, i) => ({
    endpointId,
    eventId: `ev-${i}`,
    eventType: 'message.created' as const,
    eventTime: new Date(),
    conversationId: 'c1',
    messageId: `m-${i}`,
    senderId: 'u1',
    messageCreatedAt: new Date().toISOString(),
  }));

it('enqueues a redelivered batch once, and two concurrent claims of the same due deliveries split them', async () => {
  const log = new WebhookDeliveries(mongo);
  const wanted = deliveriesOf(40, 'ep1');
  const first = await log.enqueue(tenant, wanted.slice(0, 30));
  expect(first).toHaveLength(30);
  // The batch again with ten more: only the ten are new.
  const second = await log.enqueue(tenant, wanted);
  expect(second.map((d) => d.eventId).sort()).toEqual(
    wanted
      .slice(30)
      .map((d) => d.eventId)
      .sort(),
  );
  expect(await log.collection(tenant).countDocuments({})).toBe(40);

  // Both deliverers read the same state, then claim it at once.
  const due = await log.due(tenant, { only: ['ep1'] }, 100);
  expect(due).toHaveLength(40);
  const a = new WebhookDeliveries(mongo);
  const b = new WebhookDeliveries(mongo);
  const [wonA, wonB] = await Promise.all([a.claim(tenant, due, 30_000), b.claim(tenant, due, 30_000)]);
  const idsA = wonA.map((d) => d._id);
  const idsB = wonB.map((d) => d._id);
  expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
  expect([...idsA, ...idsB].sort()).toEqual(due.map((d) => d._id).sort());
  // Claimed, so no longer due; a third claim of the same read state wins nothing.
  expect(await log.due(tenant, { only: ['ep1'] }, 100)).toEqual([]);
  expect(await log.claim(tenant, due, 30_000)).toEqual([]);
});
