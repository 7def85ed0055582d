import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

describe('mongo wire (FerretDB)', () => {
  const client = new MongoClient(stackSetting('MONGO_URL'));
  const db = client.db(`parley_smoke_${uniqueSuffix()}`);

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('inserts and finds, and a unique index refuses a duplicate', async () => {
    const users = db.collection<{ email: string; name: string }>('users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ email: 'ada@example.com', name: 'Ada' });
    expect(await users.findOne({ email: 'ada@example.com' }, { projection: { _id: 0 } })).toEqual({
      email: 'ada@example.com',
      name: 'Ada',
    });
    const duplicate = await users
      .insertOne({ email: 'ada@example.com', name: 'Other' })
      .catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(MongoServerError);
    expect((duplicate as MongoServerError).code).toBe(11000);
  });
});
