// Conversation names and topics rest sealed under the tenant key like message bodies (read back
// with the Mongo driver: no plaintext in any document), are served in the clear as before (the
// conversation, the sidebar, the channel list), are bound to their conversation and field, and
// are moved by the background rewrap after a rotation (declared in MESSAGING_ENCRYPTED_FIELDS).
// Its own fixture: encryption-at-rest.test.ts retires a key version its encryptor still caches.
import { MESSAGING_ENCRYPTED_FIELDS } from '@parley/contracts';
import { ciphertextKeyVersion, StoredCiphertextRewrap } from '@parley/keyring';
import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture, SERVICE_TOKEN } from './testing/messaging-fixture.ts';

let f: MessagingFixture;

beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('conversation names and topics at rest', () => {
  it('seals conversation names and topics too: none in any raw document, all served as before, and rewrapped', async () => {
    const NAME = 'Project Nightingale-5521';
    const TOPIC = 'merger with globex-8810';
    const NEW_TOPIC = 'quokka pricing-3302';
    const channel = (
      await f.call('ann', 'POST', '/conversations', {
        kind: 'channel',
        name: NAME,
        topic: TOPIC,
        memberIds: ['bob'],
      })
    ).json();
    expect(channel).toMatchObject({ name: NAME, topic: TOPIC });
    const patched = await f.call('ann', 'PATCH', `/conversations/${channel.id}`, { topic: NEW_TOPIC });
    expect(patched.json()).toMatchObject({ name: NAME, topic: NEW_TOPIC });

    const raw = JSON.stringify(
      await Promise.all(
        ['conversations', 'members', 'message_log'].map((name) => f.db.collection(name).find().toArray()),
      ),
    );
    // Words only: four digits turn up by chance in kilobytes of base64 ciphertext.
    for (const needle of ['Nightingale', 'merger with', 'globex', 'quokka pricing']) {
      expect(raw).not.toContain(needle);
      expect(raw).not.toContain(Buffer.from(needle).toString('base64').slice(0, 12));
    }
    const stored = await f.db.collection('conversations').findOne({ _id: channel.id });
    expect(stored?.name).toBeUndefined();
    expect(stored?.topic).toBeUndefined();
    expect(ciphertextKeyVersion(Buffer.from(stored?.sealedName, 'base64')).version).toBeGreaterThan(0);

    // Served in the clear everywhere a conversation is shown.
    expect((await f.call('bob', 'GET', `/conversations/${channel.id}`)).json()).toMatchObject({
      name: NAME,
      topic: NEW_TOPIC,
    });
    const sidebar = (await f.call('bob', 'GET', '/conversations')).json().conversations;
    expect(sidebar.find((c: { id: string }) => c.id === channel.id)).toMatchObject({ name: NAME });
    const channels = (await f.call('cat', 'GET', '/channels')).json().channels;
    expect(channels.find((c: { id: string }) => c.id === channel.id)).toMatchObject({
      name: NAME,
      topic: NEW_TOPIC,
    });

    // Bound to its conversation and its field: copied elsewhere, it does not open.
    const other = (await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Other' })).json().id;
    await f.db
      .collection('conversations')
      .updateOne({ _id: other }, { $set: { sealedName: stored?.sealedName } });
    expect((await f.call('ann', 'GET', `/conversations/${other}`)).statusCode).toBe(500);
    await f.db.collection('conversations').updateOne({ _id: other }, { $unset: { sealedName: '' } });
    await f.db
      .collection('conversations')
      .updateOne(
        { _id: channel.id },
        { $set: { sealedName: stored?.sealedTopic, sealedTopic: stored?.sealedName } },
      );
    expect((await f.call('ann', 'GET', `/conversations/${channel.id}`)).statusCode).toBe(500);
    await f.db
      .collection('conversations')
      .updateOne(
        { _id: channel.id },
        { $set: { sealedName: stored?.sealedName, sealedTopic: stored?.sealedTopic } },
      );

    // The background rewrap after a rotation reaches them (declared in MESSAGING_ENCRYPTED_FIELDS).
    const before = ciphertextKeyVersion(Buffer.from(stored?.sealedName, 'base64')).version;
    await f.keyring.rotate(f.tenant);
    const rewrap = new StoredCiphertextRewrap({
      client: f.mongo.client,
      platformDb: f.platformDb,
      keyring: f.keyring,
      fields: MESSAGING_ENCRYPTED_FIELDS,
      logger: createSilentLogger(),
      settleMs: 0,
    });
    let progress = await rewrap.advance(f.tenant, 'default', { budgetMs: 0 });
    for (let i = 0; i < 50 && progress.state !== 'Done'; i++)
      progress = await rewrap.advance(f.tenant, 'default', { budgetMs: 0 });
    expect(progress.state).toBe('Done');
    const rewrapped = await f.db.collection('conversations').findOne({ _id: channel.id });
    expect(ciphertextKeyVersion(Buffer.from(rewrapped?.sealedName, 'base64')).version).toBe(before + 1);
    expect(ciphertextKeyVersion(Buffer.from(rewrapped?.sealedTopic, 'base64')).version).toBe(before + 1);
    f.keyring.clearCache();
    const fresh = await f.newApp();
    try {
      const read = await fresh.inject({
        method: 'GET',
        url: `/v1/tenants/${f.tenant}/conversations/${channel.id}`,
        headers: { 'x-service-token': SERVICE_TOKEN, 'x-parley-user': 'bob' },
      });
      expect(read.json()).toMatchObject({ name: NAME, topic: NEW_TOPIC });
    } finally {
      await fresh.close();
    }
  });
});
