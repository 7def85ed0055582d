/**
 * spec.placement.search on the real apiserver and Elasticsearch: the CRD refuses a value that is
 * not Dedicated or Shared; two Shared tenants live in the one shared index, each behind its own
 * filtered, routed alias, and neither sees the other's messages, even when asking for them by
 * tenant; moving one to Dedicated reindexes it into its own index and keeps every document and
 * the same search results, and leaves nothing of it in the shared index. spec.language reaches the
 * registry and picks a Dedicated index's analyzer (German stems "Häuser" to "haus").
 */
import { SHARED_MESSAGE_INDEX } from '@parley/contracts';
import { searchIndexName } from '@parley/tenancy';
import { describe, expect, it } from 'vitest';
import { registryCollection } from '../src/tenant/registry.ts';
import { movedIndexName, searchTarget } from '../src/tenant/steps/search-placement.ts';
import {
  disposableTenant,
  kubectl,
  kubectlOk,
  sample,
  uniqueId,
  waitFor,
  waitForCondition,
} from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const a = uniqueId('pa');
const b = uniqueId('pb');
const c = uniqueId('pc');
const d = uniqueId('pd');

const placed = (placement: string) => (yaml: string) =>
  disposableTenant(yaml).replace('  plan: team\n', `  plan: team\n  placement:\n    search: ${placement}\n`);

const es = () => suite.op.clients.elasticsearch;

/** Message ids are unique across tenants (one shared index holds them): ids named after the run's tenant. */
/** Writes as the search service does: through the tenant's index name, the tenant in the document. */
async function index(tenant: string, messages: { id: string; text: string }[]): Promise<void> {
  const body = messages.flatMap((m, i) => [
    { index: { _index: searchIndexName(tenant), _id: m.id, version: i + 1, version_type: 'external' } },
    {
      tenant,
      messageId: m.id,
      conversationId: 'c1',
      senderId: 'u1',
      text: m.text,
      createdAt: new Date().toISOString(),
      changeSeq: i + 1,
    },
  ]);
  const { body: result } = await es().bulk({ refresh: true, body });
  expect((result as { errors: boolean }).errors).toBe(false);
}

async function search(name: string, query: object): Promise<string[]> {
  const { body } = await es().search({ index: name, body: { query, size: 100 } });
  return (body as { hits: { hits: { _id: string }[] } }).hits.hits.map((h) => h._id).sort();
}

const suite = operatorSuite({
  prefix: 'opplace-',
  tenants: [a, b].map((name) => ({ name, edit: placed('Shared') })),
});
const { namespace } = suite;
// c is applied by its own test.
suite.track(c);

describe('search placement', () => {
  it('the apiserver refuses a placement that is neither Dedicated nor Shared', async () => {
    const refused = await kubectl(
      ['apply', '--dry-run=server', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', uniqueId('px'), placed('Nowhere')),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/spec\.placement\.search: Unsupported value: "Nowhere"/);
  });

  it('a Shared tenant is an alias on the shared index, filtered and routed by tenant', async () => {
    for (const tenant of [a, b]) {
      expect(await searchTarget(es(), searchIndexName(tenant))).toMatchObject({
        kind: 'alias',
        indices: [SHARED_MESSAGE_INDEX],
      });
      const { body } = await es().indices.getAlias({
        index: SHARED_MESSAGE_INDEX,
        name: searchIndexName(tenant),
      });
      const alias = (body as Record<string, { aliases: Record<string, Record<string, unknown>> }>)[
        SHARED_MESSAGE_INDEX
      ]?.aliases[searchIndexName(tenant)];
      expect(alias).toEqual({ filter: { term: { tenant } }, index_routing: tenant, search_routing: tenant });
    }
    const conditions = JSON.parse(await kubectlOk(['get', '-n', namespace, `tenant/${a}`, '-o', 'json']))
      .status.conditions as { type: string; message: string }[];
    expect(conditions.find((c) => c.type === 'SearchIndex')?.message).toMatch(
      /placement Shared.*not by Elasticsearch security/,
    );
  });

  it("one Shared tenant's query never returns another's messages, even asking for them by tenant", async () => {
    await index(a, [
      { id: `${a}-1`, text: 'zebra plans for a' },
      { id: `${a}-2`, text: 'zebra budget of a' },
      { id: `${a}-3`, text: 'the zebra secret of a' },
    ]);
    await index(b, [
      { id: `${b}-1`, text: 'zebra notes of b' },
      { id: `${b}-2`, text: 'zebra again, b' },
    ]);
    expect(await search(searchIndexName(a), { match: { text: 'zebra' } })).toEqual([
      `${a}-1`,
      `${a}-2`,
      `${a}-3`,
    ]);
    expect(await search(searchIndexName(b), { match: { text: 'zebra' } })).toEqual([`${b}-1`, `${b}-2`]);
    // The attack: b names a's tenant (and a's ids) through its own alias.
    expect(await search(searchIndexName(b), { term: { tenant: a } })).toEqual([]);
    expect(await search(searchIndexName(b), { ids: { values: [`${a}-1`, `${a}-2`, `${a}-3`] } })).toEqual([]);
  });

  it('moving a tenant to Dedicated keeps every document and the search results; the shared index keeps none of it', async () => {
    const before = await search(searchIndexName(a), { match: { text: 'secret zebra' } });
    await kubectlOk([
      'patch',
      '-n',
      namespace,
      `tenant/${a}`,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { placement: { search: 'Dedicated' } } }),
    ]);
    await waitFor(
      'the tenant on its own index',
      async () => {
        const target = await searchTarget(es(), searchIndexName(a));
        return target.kind === 'alias' && target.indices.join() === movedIndexName(searchIndexName(a));
      },
      60_000,
    );
    await waitForCondition(namespace, `tenant/${a}`, 'Ready', 'True', 60_000);
    expect(await search(searchIndexName(a), { match_all: {} })).toEqual([`${a}-1`, `${a}-2`, `${a}-3`]);
    expect(await search(searchIndexName(a), { match: { text: 'secret zebra' } })).toEqual(before);
    const left = await es().count({ index: SHARED_MESSAGE_INDEX, body: { query: { term: { tenant: a } } } });
    expect((left.body as { count: number }).count).toBe(0);
    expect(await search(searchIndexName(b), { match: { text: 'zebra' } })).toEqual([`${b}-1`, `${b}-2`]);
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      `involvedObject.name=${a},reason=SearchPlacementMoved`,
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events).toMatch(/moved from Shared: 3 document\(s\) reindexed/);
  }, 120_000);

  it('moving a tenant to Shared keeps every document and the search results, and the tenant keeps working', async () => {
    await suite.apply(d, placed('Dedicated'));
    await waitForCondition(namespace, `tenant/${d}`, 'Ready', 'True', 120_000);
    expect(await searchTarget(es(), searchIndexName(d))).toEqual({ kind: 'index' });
    await index(d, [
      { id: `${d}-1`, text: 'walrus plans for d' },
      { id: `${d}-2`, text: 'walrus budget of d' },
      { id: `${d}-3`, text: 'the walrus secret of d' },
    ]);
    const before = await search(searchIndexName(d), { match: { text: 'secret walrus' } });
    expect(before).toContain(`${d}-3`);

    await kubectlOk([
      'patch',
      '-n',
      namespace,
      `tenant/${d}`,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { placement: { search: 'Shared' } } }),
    ]);
    await waitFor(
      'the tenant behind an alias on the shared index',
      async () => {
        const target = await searchTarget(es(), searchIndexName(d));
        return target.kind === 'alias' && target.indices.join() === SHARED_MESSAGE_INDEX;
      },
      60_000,
    );
    await waitForCondition(namespace, `tenant/${d}`, 'Ready', 'True', 60_000);
    // Every document and the same results, now through the filtered alias.
    expect(await search(searchIndexName(d), { match_all: {} })).toEqual([`${d}-1`, `${d}-2`, `${d}-3`]);
    expect(await search(searchIndexName(d), { match: { text: 'secret walrus' } })).toEqual(before);
    // The moved documents carry the tenant (the alias's filter and the search service's need it).
    const inShared = await es().count({
      index: SHARED_MESSAGE_INDEX,
      body: { query: { term: { tenant: d } } },
    });
    expect((inShared.body as { count: number }).count).toBe(3);
    // Still working: a new message written through the tenant's name lands and is found; the old
    // index is gone, and no other Shared tenant sees the moved documents.
    await index(d, [{ id: `${d}-4`, text: 'walrus after the move' }]);
    expect(await search(searchIndexName(d), { match: { text: 'walrus' } })).toEqual([
      `${d}-1`,
      `${d}-2`,
      `${d}-3`,
      `${d}-4`,
    ]);
    expect(await search(searchIndexName(b), { match: { text: 'walrus' } })).toEqual([]);
    expect(await search(searchIndexName(b), { term: { tenant: d } })).toEqual([]);
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      `involvedObject.name=${d},reason=SearchPlacementMoved`,
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events).toMatch(/moved from Dedicated: 3 document\(s\) reindexed/);
  }, 180_000);

  it('a tenant moved to Dedicated and back to Shared keeps its documents (the moved index goes)', async () => {
    // a was moved to Dedicated above: its name is an alias on its own `.dedicated` index. The
    // shared index still holds tombstones of a's documents (index.gc_deletes, 60 s), which refuse
    // the copies back until they expire: the move waits (retried with backoff) rather than lose them.
    await kubectlOk([
      'patch',
      '-n',
      namespace,
      `tenant/${a}`,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { placement: { search: 'Shared' } } }),
    ]);
    await waitFor(
      'a back on the shared index',
      async () => {
        const target = await searchTarget(es(), searchIndexName(a));
        return target.kind === 'alias' && target.indices.join() === SHARED_MESSAGE_INDEX;
      },
      240_000,
      1_000,
    );
    await waitForCondition(namespace, `tenant/${a}`, 'Ready', 'True', 60_000);
    expect(await search(searchIndexName(a), { match_all: {} })).toEqual([`${a}-1`, `${a}-2`, `${a}-3`]);
    expect((await es().indices.exists({ index: movedIndexName(searchIndexName(a)) })).body).toBe(false);
    expect(await search(searchIndexName(b), { match: { text: 'zebra' } })).toEqual([`${b}-1`, `${b}-2`]);
  }, 330_000);
});

describe('the tenant language', () => {
  const speaking = (language: string) => (yaml: string) =>
    disposableTenant(yaml).replace('  plan: team\n', `  plan: team\n  language: ${language}\n`);

  it('the apiserver refuses a language outside the list', async () => {
    const refused = await kubectl(
      ['apply', '--dry-run=server', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', uniqueId('px'), speaking('xx')),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/spec\.language: Unsupported value: "xx"/);
  });

  it('the apiserver refuses a language on a Shared tenant, which could never apply it, and takes it on a Dedicated one', async () => {
    const apply = async (spec: string) =>
      kubectl(
        ['apply', '--dry-run=server', '-n', namespace, '-f', '-'],
        `apiVersion: parley.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: ${uniqueId('pl')}\nspec:\n  displayName: x\n${spec}`,
      );
    const sharedByPlacement = await apply('  plan: team\n  language: de\n  placement: {search: Shared}\n');
    const sharedByPlan = await apply('  plan: free\n  language: de\n');
    for (const refused of [sharedByPlacement, sharedByPlan]) {
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/spec\.language sets the analyzer of a Dedicated search index/);
    }
    const dedicatedFree = await apply('  plan: free\n  language: de\n  placement: {search: Dedicated}\n');
    expect(dedicatedFree.code, dedicatedFree.stderr).toBe(0);
    const sharedWithout = await apply('  plan: free\n');
    expect(sharedWithout.code, sharedWithout.stderr).toBe(0);
  });

  it("a Dedicated tenant's index is made with its language's analyzer, the registry carries the language", async () => {
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', c, speaking('de')),
    );
    await waitForCondition(namespace, `tenant/${c}`, 'Ready', 'True', 120_000);
    const entry = await registryCollection(suite.op.clients.mongo.client).findOne({ _id: c });
    expect(entry?.language).toBe('de');
    const { body } = await es().indices.getMapping({ index: searchIndexName(c) });
    const mapping = Object.values(
      body as Record<string, { mappings: { properties: Record<string, unknown> } }>,
    )[0];
    expect(mapping?.mappings.properties.text).toEqual({ type: 'text', analyzer: 'german' });
    const analysed = await es().indices.analyze({
      index: searchIndexName(c),
      body: { field: 'text', text: 'Die Häuser' },
    });
    expect((analysed.body as { tokens: { token: string }[] }).tokens.map((t) => t.token)).toEqual(['haus']);
  }, 180_000);
});
