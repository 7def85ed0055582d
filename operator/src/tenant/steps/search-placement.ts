/**
 * Where a tenant's messages live in Elasticsearch (spec.placement.search). The search service
 * always names the tenant's index `parley-<tenant>-messages`; what stands behind that name is:
 * - Dedicated: an index of its own (as before placement existed), or, after a move from Shared,
 *   a one-index alias of that name on `parley-<tenant>-messages.dedicated` (Elasticsearch cannot
 *   create an index under the name an alias holds, nor rename one, so the moved index gets a
 *   suffix and the name stays an alias);
 * - Shared: an alias on the one shared index (SHARED_MESSAGE_INDEX) with a filter and routing
 *   by tenant (sharedTenantAlias): one shard for many tenants, where a dedicated index costs at
 *   least one each and a node holds 1,000 by default. Isolation there is Parley's own filter
 *   (the alias's and the search service's), not Elasticsearch security.
 * A move between placements is a reindex the step runs and reports in the condition's message.
 */

import { isDeepStrictEqual } from 'node:util';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import {
  messageIndexMappings,
  type SearchAnalyzer,
  SHARED_MESSAGE_INDEX,
  sharedTenantAlias,
} from '@parley/contracts';
import { eachAlone, GroupCommit, type ItemResult } from '../group-commit.ts';

export type SearchPlacement = 'Dedicated' | 'Shared';

/** The index a Dedicated tenant moved from Shared lives in, behind the alias of its usual name. */
export const movedIndexName = (name: string) => `${name}.dedicated`;

/** What the tenant's name stands for now: an index, an alias on some indices, or nothing. */
export type SearchTarget =
  | { kind: 'index' }
  | { kind: 'alias'; indices: string[]; definitions?: Record<string, unknown> }
  | { kind: 'none' };

export async function searchTarget(es: ElasticsearchClient, name: string): Promise<SearchTarget> {
  const aliases = await es.indices.getAlias({ name }, { ignore: [404] });
  const body = (aliases.body ?? {}) as Record<string, { aliases?: Record<string, unknown> }>;
  const owners = Object.keys(body).filter((index) => index !== 'error' && index !== 'status');
  if (aliases.statusCode !== 404 && owners.length > 0) {
    const definitions = Object.fromEntries(
      owners.map((index) => [index, body[index]?.aliases?.[name] ?? {}]),
    );
    return { kind: 'alias', indices: owners, definitions };
  }
  const exists = (await es.indices.exists({ index: name })).body;
  return exists ? { kind: 'index' } : { kind: 'none' };
}

/** Creates an index with the message mapping (in `analyzer`: the tenant's language); one created concurrently is fine. */
export async function createMessageIndex(
  es: ElasticsearchClient,
  index: string,
  replicas: number,
  analyzer: SearchAnalyzer = 'standard',
): Promise<boolean> {
  try {
    await es.indices.create({
      index,
      body: {
        settings: { number_of_shards: 1, number_of_replicas: replicas },
        mappings: messageIndexMappings(analyzer),
      },
    });
    return true;
  } catch (error) {
    const type = (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type;
    if (type !== 'resource_already_exists_exception') throw error;
    return false;
  }
}

/**
 * The analyzer of the text field behind `name` (an index, or the one index an alias stands for):
 * what spec.language made it when the index was created ('standard' when the mapping names none).
 * Elasticsearch cannot change an existing field's analyzer, so a language changed later shows
 * here as a difference until the search service's reindex builds the index anew.
 */
export async function textAnalyzerOf(es: ElasticsearchClient, name: string): Promise<string | undefined> {
  const { body } = await es.indices.getMapping({ index: name });
  const mapping = Object.values(
    body as Record<string, { mappings?: { properties?: { text?: { analyzer?: string } } } }>,
  )[0];
  if (!mapping) return undefined;
  return mapping.mappings?.properties?.text?.analyzer ?? 'standard';
}

/**
 * Copies the tenant's documents from `source` to `dest`, stamping the tenant on each (documents
 * written before they carried it) and routing by tenant. `version_type: external` keeps each
 * document's version (the search service writes with the message's seq as external version), so
 * a second pass after a swap brings over only what was written in between, never older copies.
 */
async function copyTenantDocuments(
  es: ElasticsearchClient,
  tenant: string,
  source: string,
  dest: string,
  onlyTenant: boolean,
): Promise<{ created: number; conflicts: number }> {
  const { body } = await es.reindex({
    refresh: true,
    wait_for_completion: true,
    body: {
      conflicts: 'proceed',
      source: { index: source, ...(onlyTenant ? { query: { term: { tenant } } } : {}) },
      dest: { index: dest, version_type: 'external' },
      script: {
        lang: 'painless',
        source: 'ctx._source.tenant = params.tenant; ctx._routing = params.routing;',
        params: { tenant, routing: onlyTenant ? null : tenant },
      },
    },
  });
  const result = body as { created?: number; version_conflicts?: number };
  return { created: result.created ?? 0, conflicts: result.version_conflicts ?? 0 };
}

/**
 * A move back to the shared index soon after a move out of it: the shared index still holds the
 * tombstones of the tenant's documents (delete-by-query left them, kept for index.gc_deletes, 60 s
 * by default) with versions above the documents', so external versioning refuses the copies. The
 * old index is kept (write-blocked) and the step fails, to be retried with backoff once the
 * tombstones are gone; nothing is lost, and the condition says why.
 */
export class SearchMoveConflictError extends Error {
  constructor(source: string, dest: string, conflicts: number) {
    super(
      `${conflicts} document(s) of ${source} were refused by ${dest} (version conflicts with recently deleted copies there, kept for index.gc_deletes); ${source} is kept, write-blocked, and the move is retried`,
    );
    this.name = 'SearchMoveConflictError';
  }
}

/**
 * The calls every Shared tenant's reconcile makes, shared across concurrent reconciles: the shared
 * index is made once per process (again after a failure), and alias additions are coalesced
 * (group-commit.ts) into one updateAliases: each is a cluster-state update the master applies
 * one at a time, like an index creation, so one request for every tenant that asked meanwhile.
 * A batch the server refuses is retried tenant by tenant, so one tenant's refusal stays its own.
 */
export class SharedPlacementAdmin {
  readonly es: ElasticsearchClient;
  readonly replicas: number;
  #sharedIndex: Promise<unknown> | undefined;
  readonly #aliases: GroupCommit<object[], void>;

  constructor(es: ElasticsearchClient, replicas: number) {
    this.es = es;
    this.replicas = replicas;
    this.#aliases = new GroupCommit(async (batches): Promise<ItemResult<void>[]> => {
      const apply = async (actions: object[]) => {
        await es.indices.updateAliases({ body: { actions } });
      };
      try {
        await apply(batches.flat());
        return batches.map(() => ({ ok: true as const, value: undefined }));
      } catch (error) {
        if (batches.length === 1) throw error;
        return eachAlone(batches, apply);
      }
    });
  }

  ensureSharedIndex(): Promise<unknown> {
    this.#sharedIndex ??= createMessageIndex(this.es, SHARED_MESSAGE_INDEX, this.replicas).catch((error) => {
      this.#sharedIndex = undefined;
      throw error;
    });
    return this.#sharedIndex;
  }

  updateAliases(actions: object[]): Promise<void> {
    return this.#aliases.submit(actions).catch((error) => {
      this.#sharedIndex = undefined; // the shared index may have gone: made again next time
      throw error;
    });
  }
}

/** Puts the tenant in the shared index: returns what was done ('' when it already was). */
export async function placeShared(
  admin: SharedPlacementAdmin,
  tenant: string,
  name: string,
): Promise<string> {
  const { es } = admin;
  await admin.ensureSharedIndex();
  const target = await searchTarget(es, name);
  const wanted = sharedTenantAlias(tenant);
  const alias = { index: SHARED_MESSAGE_INDEX, alias: name, ...wanted };
  if (target.kind === 'alias' && target.indices.length === 1 && target.indices[0] === SHARED_MESSAGE_INDEX) {
    // A filter or routing changed by hand is put back; a settled tenant costs one read.
    if (isDeepStrictEqual(target.definitions?.[SHARED_MESSAGE_INDEX], wanted)) return '';
    await admin.updateAliases([{ add: alias }]);
    return `alias ${name} on ${SHARED_MESSAGE_INDEX} restored (filter and routing by tenant)`;
  }
  if (target.kind === 'none') {
    await admin.updateAliases([{ add: alias }]);
    return `alias ${name} created on ${SHARED_MESSAGE_INDEX}`;
  }
  // A move from Dedicated: block writes to the old index (the search service's writes fail and are
  // retried from Kafka), copy, then swap the name to the alias and drop the old index atomically.
  const old = target.kind === 'index' ? name : (target.indices[0] as string);
  await es.indices.putSettings({ index: old, body: { 'index.blocks.write': true } });
  const copied = await copyTenantDocuments(es, tenant, old, SHARED_MESSAGE_INDEX, false);
  if (copied.conflicts > 0) throw new SearchMoveConflictError(old, SHARED_MESSAGE_INDEX, copied.conflicts);
  await es.indices.updateAliases({
    body: {
      actions:
        target.kind === 'index'
          ? [{ remove_index: { index: old } }, { add: alias }]
          : [{ remove: { index: old, alias: name } }, { add: alias }],
    },
  });
  if (target.kind === 'alias') await es.indices.delete({ index: old, ignore_unavailable: true });
  return `moved from Dedicated: ${copied.created} document(s) reindexed from ${old} into ${SHARED_MESSAGE_INDEX}`;
}

/** Gives the tenant its own index: returns what was done ('' when it already had it). */
export async function placeDedicated(
  es: ElasticsearchClient,
  tenant: string,
  name: string,
  replicas: number,
  analyzer: SearchAnalyzer = 'standard',
): Promise<string> {
  const target = await searchTarget(es, name);
  if (target.kind === 'index') return '';
  if (target.kind === 'none') {
    return (await createMessageIndex(es, name, replicas, analyzer)) ? `index ${name} created` : '';
  }
  if (!target.indices.includes(SHARED_MESSAGE_INDEX)) return ''; // already moved: alias on its own index
  // A move from Shared: copy into the tenant's own index, swap the name over atomically, copy
  // again what was written meanwhile (external versions: only newer documents), then remove the
  // tenant's documents from the shared index.
  const own = movedIndexName(name);
  await createMessageIndex(es, own, replicas, analyzer);
  const first = await copyTenantDocuments(es, tenant, SHARED_MESSAGE_INDEX, own, true);
  await es.indices.updateAliases({
    body: {
      actions: [
        { remove: { index: SHARED_MESSAGE_INDEX, alias: name } },
        { add: { index: own, alias: name, is_write_index: true } },
      ],
    },
  });
  const second = await copyTenantDocuments(es, tenant, SHARED_MESSAGE_INDEX, own, true);
  await es.deleteByQuery({
    index: SHARED_MESSAGE_INDEX,
    refresh: true,
    conflicts: 'proceed',
    body: { query: { term: { tenant } } },
  });
  return `moved from Shared: ${first.created + second.created} document(s) reindexed from ${SHARED_MESSAGE_INDEX} into ${own}`;
}

/** Removes the tenant's search data whatever its placement (deletion). */
export async function removeTenantSearchData(
  es: ElasticsearchClient,
  tenant: string,
  name: string,
): Promise<void> {
  const target = await searchTarget(es, name);
  if (target.kind === 'index') await es.indices.delete({ index: name, ignore_unavailable: true });
  if (target.kind !== 'alias') return;
  for (const index of target.indices) {
    if (index === SHARED_MESSAGE_INDEX) {
      await es.indices.deleteAlias({ index, name }, { ignore: [404] });
      await es.deleteByQuery({
        index,
        refresh: true,
        conflicts: 'proceed',
        body: { query: { term: { tenant } } },
      });
    } else {
      await es.indices.delete({ index, ignore_unavailable: true });
    }
  }
}
