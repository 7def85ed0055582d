// Message bodies and edit history rest sealed under the tenant's key (read back with the Mongo
// driver: no plaintext anywhere in the documents), and still open after the tenant key rotates,
// the background rewrap (the operator's StoredCiphertextRewrap over ENCRYPTED_FIELDS) moves them,
// and the old version is retired.
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

const SECRET = 'the launch code is swordfish-7319';
const EDITED = 'nothing to see, really-4471';

describe('content at rest', () => {
  it('is sealed in every document, and opens again after rotation, rewrap and retiring the old version', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Vault', memberIds: ['bob'] })
    ).json().id;
    const sent = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 's1', text: SECRET })
    ).json();
    await f.call('ann', 'PATCH', `/conversations/${room}/messages/${sent.id}`, { text: EDITED });
    await f.call('bob', 'POST', `/conversations/${room}/messages`, {
      clientMessageId: 's2',
      text: `re: ${SECRET}`,
    });

    // Everything messaging stored for the tenant, as the driver reads it.
    const collections = [
      'messages',
      'message_edits',
      'message_log',
      'conversations',
      'members',
      'message_reactions',
    ];
    const everything = [];
    for (const name of collections) everything.push(...(await f.db.collection(name).find().toArray()));
    const raw = JSON.stringify(everything);
    for (const needle of ['swordfish', 'launch code', 'nothing to see', '4471']) {
      expect(raw).not.toContain(needle);
      // Nor hidden in base64 of the plaintext.
      expect(raw).not.toContain(Buffer.from(needle).toString('base64').slice(0, 12));
    }
    const stored = await f.db.collection('messages').findOne({ _id: sent.id });
    const edit = await f.db.collection('message_edits').findOne({ messageId: sent.id });
    expect(ciphertextKeyVersion(Buffer.from(stored?.body, 'base64')).version).toBe(1);
    expect(ciphertextKeyVersion(Buffer.from(edit?.body, 'base64')).version).toBe(1);

    // Rotate, rewrap in the background as the operator does, retire version 1.
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
    expect(progress.completedVersion).toBe(2);
    const rewrapped = await f.db.collection('messages').findOne({ _id: sent.id });
    expect(ciphertextKeyVersion(Buffer.from(rewrapped?.body, 'base64')).version).toBe(2);
    await f.keyring.setMinDecryptionVersion(f.tenant, 'default', 2);

    // A process that never saw the old data keys (empty caches) reads it all.
    f.keyring.clearCache();
    const fresh = await f.newApp();
    try {
      const page = await fresh.inject({
        method: 'GET',
        url: `/v1/tenants/${f.tenant}/conversations/${room}/messages`,
        headers: { 'x-service-token': SERVICE_TOKEN, 'x-parley-user': 'bob' },
      });
      expect(page.statusCode).toBe(200);
      expect(page.json().messages.map((m: { text: string }) => m.text)).toEqual([EDITED, `re: ${SECRET}`]);
      const components = await f.newComponents();
      const history = await f.db.collection('message_edits').findOne({ messageId: sent.id });
      expect((await components.sealer.open(f.tenant, sent.id, history?.body)).text).toBe(SECRET);
    } finally {
      await fresh.close();
    }
  });

  it('binds a body to its message: a ciphertext copied onto another message does not open', async () => {
    const room = (await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Swap' })).json().id;
    const a = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'a', text: 'mine' })
    ).json();
    const b = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'b', text: 'other' })
    ).json();
    const source = await f.db.collection('messages').findOne({ _id: a.id });
    await expect(f.components.sealer.open(f.tenant, b.id, source?.body)).rejects.toThrow();
  });
});
