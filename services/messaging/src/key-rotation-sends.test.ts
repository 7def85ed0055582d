// A key rotation while members keep sending, on the real Mongo-wire server: the background
// rewrap (the operator's StoredCiphertextRewrap over MESSAGING_ENCRYPTED_FIELDS, with a settle
// time of twice the key cache's lifetime, as the settings ask) runs while messages go on being
// sent, and once it reports Done every body stored, and every one sent from then on, is sealed
// under the new version: retiring the old one leaves every message readable.
// (Before: messaging's data key sealed for 5 minutes whatever the rotation, so sends made after
// the rewrap's Done were still sealed under the old version, and retiring it lost them.)
import { MESSAGING_ENCRYPTED_FIELDS } from '@parley/contracts';
import { ciphertextKeyVersion, type RewrapProgress, StoredCiphertextRewrap } from '@parley/keyring';
import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture, SERVICE_TOKEN } from './testing/messaging-fixture.ts';

const KEY_CACHE_TTL_MS = 400;

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture({ keyCacheTtlMs: KEY_CACHE_TTL_MS });
});
afterAll(async () => {
  await f?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a key rotation during sends', { timeout: 120_000 }, () => {
  it('completes only when every body is under the new version, and sends after it are too', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Busy', memberIds: ['bob'] })
    ).json().id;
    let sent = 0;
    const texts: string[] = [];
    const send = async () => {
      const text = `message ${sent}`;
      const answer = await f.call(sent % 2 ? 'bob' : 'ann', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: `c${sent++}`,
        text,
      });
      expect(answer.statusCode).toBe(201);
      texts.push(text);
    };
    for (let i = 0; i < 5; i++) await send(); // the service now holds a data key under version 1

    await f.keyring.rotate(f.tenant);
    const rewrap = new StoredCiphertextRewrap({
      client: f.mongo.client,
      platformDb: f.platformDb,
      keyring: f.keyring,
      fields: MESSAGING_ENCRYPTED_FIELDS,
      logger: createSilentLogger(),
      batchSize: 4,
      settleMs: 2 * KEY_CACHE_TTL_MS,
    });
    let progress: RewrapProgress | undefined;
    for (let i = 0; i < 500 && progress?.state !== 'Done'; i++) {
      await send(); // members go on sending throughout
      progress = await rewrap.advance(f.tenant, 'default', { budgetMs: 0 });
      if (progress.state === 'Waiting' && progress.nextPassAt)
        await sleep(Math.max(0, Math.min(100, progress.nextPassAt.getTime() - Date.now())));
    }
    expect(progress).toMatchObject({ state: 'Done', completedVersion: 2 });
    for (let i = 0; i < 5; i++) await send();

    const bodies = await f.db.collection('messages').find({ conversationId: room }).toArray();
    expect(bodies.length).toBe(sent);
    expect(sent).toBeLessThan(200); // one page reads them all below
    const versions = bodies.map((m) => ciphertextKeyVersion(Buffer.from(m.body, 'base64')).version);
    expect(versions.filter((v) => v < 2)).toEqual([]);

    // Retire version 1; a process with empty caches reads every message.
    await f.keyring.setMinDecryptionVersion(f.tenant, 'default', 2);
    f.keyring.clearCache();
    const fresh = await f.newApp();
    try {
      const page = await fresh.inject({
        method: 'GET',
        url: `/v1/tenants/${f.tenant}/conversations/${room}/messages?limit=200`,
        headers: { 'x-service-token': SERVICE_TOKEN, 'x-parley-user': 'bob' },
      });
      expect(page.statusCode).toBe(200);
      expect(page.json().messages.map((m: { text: string }) => m.text)).toEqual(texts);
    } finally {
      await fresh.close();
    }
  });

  it('never writes back a body a delete removed while the rewrap was re-wrapping it', async () => {
    const room = (await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Gone' })).json().id;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(
        (
          await f.call('ann', 'POST', `/conversations/${room}/messages`, {
            clientMessageId: `gone${i}`,
            text: `soon deleted ${i}`,
          })
        ).json().id,
      );
    await f.keyring.rotate(f.tenant);
    const rewrap = new StoredCiphertextRewrap({
      client: f.mongo.client,
      platformDb: f.platformDb,
      keyring: f.keyring,
      fields: MESSAGING_ENCRYPTED_FIELDS,
      logger: createSilentLogger(),
      batchSize: 200,
      settleMs: 0,
    });
    const batch = await rewrap.prepareBatch(f.tenant, 'default');
    expect(batch?.rewrites.length).toBeGreaterThanOrEqual(ids.length);
    if (!batch) return;
    // The rewrap writes its batch while the sender deletes every one of these messages.
    const [, ...deletes] = await Promise.all([
      rewrap.commitBatch(batch),
      ...ids.map((id) => f.call('ann', 'DELETE', `/conversations/${room}/messages/${id}`)),
    ]);
    expect(deletes.map((d) => d.statusCode)).toEqual(ids.map(() => 200));
    const stored = await f.db
      .collection('messages')
      .find({ _id: { $in: ids as never[] } })
      .toArray();
    expect(stored.map((m) => [m._id, m.deleted, 'body' in m]).sort()).toEqual(
      ids.map((id) => [id, true, false]).sort(),
    );
  });
});
