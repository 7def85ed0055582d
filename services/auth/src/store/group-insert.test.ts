// Group commit on the real Mongo-wire server: documents queued while an insert is in flight go
// together; each caller learns its own outcome (a duplicate fails alone); while busy, a group may
// linger for company, and a lone document on a quiet collection is written at once.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthFixture, openAuthFixture } from '../testing/auth-fixture.ts';
import { GroupInsert } from './group-insert.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('GroupInsert', () => {
  it('stores every document, batching those queued meanwhile, and fails only the duplicate', async () => {
    const collection = f.mongo.client
      .db(`auth_test_${f.tenant}`)
      .collection<{ _id: string; n: number }>('group');
    await collection.insertOne({ _id: 'taken', n: -1 });
    const inserts = new GroupInsert(collection);
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, n) => inserts.insert({ _id: `d${n}`, n })),
      inserts.insert({ _id: 'taken', n: 99 }),
      inserts.insert({ _id: 'd10', n: 10 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(11);
    expect(results[10]).toMatchObject({ status: 'rejected', reason: { code: 11000 } });
    expect(await collection.countDocuments({ n: { $gte: 0 } })).toBe(11);
    expect((await collection.findOne({ _id: 'taken' }))?.n).toBe(-1);
  });

  it('writes a lone document at once, and while busy lets a group linger so later documents share its write', async () => {
    const collection = f.mongo.client
      .db(`auth_test_${f.tenant}`)
      .collection<{ _id: string; n: number }>('group-linger');
    const one = vi.spyOn(collection, 'insertOne');
    const many = vi.spyOn(collection, 'insertMany');
    const inserts = new GroupInsert(collection, { lingerMs: 50, busyWindowMs: 60_000 });
    const lone = inserts.insert({ _id: 'lone', n: 0 });
    expect(one).toHaveBeenCalledTimes(1); // no waiting: nothing arrived before it
    await lone;
    // The collection is busy now: the next document waits, and those arriving meanwhile join it.
    const group = [inserts.insert({ _id: 'g1', n: 1 }), inserts.insert({ _id: 'g2', n: 2 })];
    expect(many).not.toHaveBeenCalled();
    await Promise.all(group);
    expect(many).toHaveBeenCalledTimes(1);
    expect(many.mock.calls[0]?.[0]).toHaveLength(2);
    expect(one).toHaveBeenCalledTimes(1);
    expect(await collection.countDocuments({})).toBe(3);
  });
});
