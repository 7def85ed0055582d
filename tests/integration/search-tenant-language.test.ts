/**
 * spec.language, from the Tenant to a search result: the real operator provisions two Tenants on
 * the real kube-apiserver, one with `language: de` and one without; messaging writes through its
 * outbox to the topics the operator made, and the search service (reading the operator's own
 * registry, parley_platform) indexes into the indices the operator made and queries them. A
 * German "Die Häuser sind groß" is found by "Haus" (German stemming), the same message of the
 * tenant without a language is not (standard analyzer), and a reindex, which makes a new index
 * from the registry's language, keeps German; taking the language out of the spec takes it out of
 * the registry, so the next reindex is standard; until that reindex the Tenant's SearchIndex
 * condition says the index still has the old analyzer (LanguageAwaitsReindex) and what to run.
 *
 * The operator's tests check the index mapping, search's tests write the language into a
 * fixture's registry and let search make the index: neither saw the other side's half.
 */
import { randomUUID } from 'node:crypto';
import type { SearchPage } from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { immediatePublisher } from '@parley/messaging-service/publisher';
import { createMessagingRelay } from '@parley/messaging-service/relay';
import {
  type MessagingFixture,
  openMessagingFixture,
  SERVICE_TOKEN,
} from '@parley/messaging-service/testing';
import type { OutboxRelay } from '@parley/outbox';
import { searchSettingsSchema } from '@parley/search-service/settings';
import { openSearchFixture, type SearchFixture } from '@parley/search-service/testing';
import { PLATFORM_DATABASE, searchIndexName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryCollection } from '../../operator/src/tenant/registry.ts';
import {
  conditions,
  disposableTenant,
  kubectlOk,
  uniqueId,
  waitFor,
} from '../../operator/test/operator-fixture.ts';
import { operatorSuite } from '../../operator/test/operator-suite.ts';

const german = uniqueId('lde');
const plain = uniqueId('lstd');

interface Side {
  tenant: string;
  messaging: MessagingFixture;
  relay: OutboxRelay;
  search: SearchFixture;
}

let kafka: KafkaConnection | undefined;
const sides: Side[] = [];

const speaking = (language?: string) => (yaml: string) =>
  language
    ? disposableTenant(yaml).replace('  plan: team\n', `  plan: team\n  language: ${language}\n`)
    : disposableTenant(yaml);

/** Messaging and search on a tenant the operator provisioned (its topics, database, index, registry entry). */
async function openSide(tenant: string): Promise<Side> {
  let late: OutboxRelay | undefined;
  const messaging = await openMessagingFixture({
    tenant,
    attachments: { bind: async () => {} },
    publisher: {
      publishNow: (collection, id, written) =>
        late ? immediatePublisher(late).publishNow(collection, id, written) : Promise.resolve(),
    },
  });
  if (!kafka) throw new Error('no Kafka connection');
  const relay = createMessagingRelay({
    producer: kafka.producer,
    store: messaging.components.store,
    logger: createSilentLogger(),
    intervalMs: 500,
    tenants: () => [tenant],
  });
  relay.start();
  late = relay;
  const search = await openSearchFixture({
    tenant,
    keyring: messaging.keyring,
    mongo: messaging.mongo,
    redis: messaging.redis,
    kafka,
    messagingUrl: await messaging.app.listen({ host: '127.0.0.1', port: 0 }),
    serviceToken: SERVICE_TOKEN,
    // The operator's registry, as in production: the language is what the operator wrote there.
    platformDb: messaging.mongo.client.db(PLATFORM_DATABASE),
  });
  const side = { tenant, messaging, relay, search };
  sides.push(side);
  return side;
}

// The operator provisions both Tenants (and deletes them, with their data, afterwards).
const suite = operatorSuite({
  prefix: 'lang-',
  tenants: [
    { name: german, edit: speaking('de') },
    { name: plain, edit: speaking() },
  ],
});

beforeAll(async () => {
  kafka = await connectKafka(
    kafkaSettingsFromConfig(loadConfig(searchSettingsSchema), 'search-language-test'),
    createSilentLogger(),
  );
});

// Runs before the suite's cleanup (vitest runs afterAll hooks last registered first).
afterAll(async () => {
  for (const side of sides) {
    await side.search.close();
    await side.relay.stop();
    await side.messaging.close();
  }
  await kafka?.stop();
});

async function conversation(side: Side): Promise<string> {
  const res = await side.messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: `g-${randomUUID().slice(0, 8)}`,
    memberIds: ['bob'],
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function send(side: Side, conversationId: string, text: string): Promise<string> {
  const res = await side.messaging.call('alice', 'POST', `/conversations/${conversationId}/messages`, {
    clientMessageId: randomUUID(),
    text,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function find(side: Side, q: string): Promise<string[]> {
  const res = await side.search.search('bob', q);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as SearchPage).results.map((r) => r.messageId);
}

/** Indexing is asynchronous (Kafka, then the index's refresh): polls until `q` finds `id`. */
async function eventually(side: Side, q: string, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await find(side, q)).includes(id)) {
    if (Date.now() > deadline) throw new Error(`search "${q}" in ${side.tenant} never found ${id}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("a Tenant's spec.language reaches search", { timeout: 400_000 }, () => {
  it('German stems in the index the operator made, the standard analyzer does not; a reindex follows the registry, also once the language is removed', async () => {
    const de = await openSide(german);
    const std = await openSide(plain);
    const text = 'Die Häuser sind groß';

    const deId = await send(de, await conversation(de), text);
    await eventually(de, 'Haus', deId);
    expect(await de.search.components.index.analyzerIn(searchIndexName(german))).toBe('german');

    const stdId = await send(std, await conversation(std), text);
    await eventually(std, 'Häuser', stdId);
    expect(await find(std, 'Haus')).not.toContain(stdId);
    expect(await std.search.components.index.analyzerIn(searchIndexName(plain))).toBe('standard');

    // A reindex makes a new index from the registry's language: the operator's, so still German.
    await de.search.components.reindexer.reindex(german);
    expect(await de.search.components.index.analyzerIn(searchIndexName(german))).toBe('german');
    expect(await find(de, 'Haus')).toContain(deId);

    // The language taken out of the spec leaves the registry too, so the next reindex is standard.
    await kubectlOk([
      'patch',
      '-n',
      suite.namespace,
      `tenant/${german}`,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { language: null } }),
    ]);
    await waitFor('the registry to forget the language', async () => {
      const entry = await registryCollection(de.messaging.mongo.client).findOne({ _id: german });
      return entry && !('language' in entry) ? entry : undefined;
    });
    // Until the reindex, the Tenant says its index still has the old analyzer, and what to run.
    const searchIndexCondition = async () =>
      (await conditions(suite.namespace, `tenant/${german}`)).find((c) => c.type === 'SearchIndex');
    const awaiting = await waitFor('the SearchIndex condition to report the old analyzer', async () => {
      const condition = await searchIndexCondition();
      return condition?.reason === 'LanguageAwaitsReindex' ? condition : undefined;
    });
    expect(awaiting.status).toBe('True');
    expect(awaiting.message).toMatch(/text analyzer is german but spec\.language asks for standard/);
    expect(awaiting.message).toContain(`reindex -- ${german}`);

    await de.search.components.reindexer.reindex(german);
    expect(await de.search.components.index.analyzerIn(searchIndexName(german))).toBe('standard');
    expect(await find(de, 'Häuser')).toContain(deId);
    expect(await find(de, 'Haus')).not.toContain(deId);

    // The next reconcile (a spec change here) finds the analyzer the spec asks for.
    await kubectlOk([
      'patch',
      '-n',
      suite.namespace,
      `tenant/${german}`,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { displayName: 'Reindexed' } }),
    ]);
    await waitFor('the SearchIndex condition to settle', async () => {
      const condition = await searchIndexCondition();
      return condition && condition.reason !== 'LanguageAwaitsReindex' && condition.status === 'True'
        ? condition
        : undefined;
    });
  });
});
