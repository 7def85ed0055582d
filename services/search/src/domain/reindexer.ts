/**
 * Rebuilds a tenant's index from messaging's history (its message log: every message's current
 * state, bodies sealed as they rest), for recovery (an index lost or damaged) or a mapping change
 * (an analyzer is fixed when an index is made). The bodies are opened here with the tenant's key,
 * as the consumer opens the topic's; the topic itself cannot serve: it keeps 7 days.
 *
 * Steps: a new index `parley-<tenant>-messages.r<time>` with the current mapping; every message
 * written into it (external versions on the change seq, as always); then, in one alias update,
 * the tenant's name moves to it (an index of that name is dropped in the same action, an alias is
 * moved off its old index, which is dropped after); then a second pass over the log into the name,
 * which brings over what changed while the first ran (external versions keep only newer states;
 * the consumer writes to the name, so it follows the swap by itself). A message purged from
 * messaging between the two passes may stay in the index until its tombstone arrives on the topic.
 *
 * A tenant placed Shared (its name an alias on the shared index) is not rebuilt here: the
 * operator's placement owns that index; move the tenant to Dedicated first.
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { SHARED_MESSAGE_INDEX } from '@parley/contracts';
import type { MessagingClient } from '@parley/messaging-client';
import { searchIndexName } from '@parley/tenancy';
import type { IndexWrite, MessageIndex } from './message-index.ts';
import type { MessageIndexer } from './message-indexer.ts';

const PAGE = 500;

export class ReindexError extends Error {}

export interface ReindexReport {
  tenant: string;
  /** The index that now stands behind the tenant's name. */
  index: string;
  /** Messages written (deleted ones as their content-free document). */
  documents: number;
  /** Bodies the tenant's key did not open (crypto-shredded), left out as the consumer leaves them. */
  skipped: number;
  /** Indices dropped once the name had moved. */
  dropped: string[];
}

export class Reindexer {
  readonly #es: ElasticsearchClient;
  readonly #index: MessageIndex;
  readonly #indexer: MessageIndexer;
  readonly #messaging: MessagingClient;

  constructor(deps: {
    es: ElasticsearchClient;
    index: MessageIndex;
    indexer: MessageIndexer;
    messaging: MessagingClient;
  }) {
    this.#es = deps.es;
    this.#index = deps.index;
    this.#indexer = deps.indexer;
    this.#messaging = deps.messaging;
  }

  async reindex(tenant: string): Promise<ReindexReport> {
    const name = searchIndexName(tenant);
    const behind = await this.#behind(name);
    if (behind.includes(SHARED_MESSAGE_INDEX))
      throw new ReindexError(
        `${tenant} is placed Shared (${name} is an alias on ${SHARED_MESSAGE_INDEX}): move it to Dedicated to rebuild its index`,
      );
    const fresh = `${name}.r${Date.now()}`;
    await this.#index.create(tenant, fresh);
    const first = await this.#pass(tenant, fresh);
    const isIndex = behind.length === 0 && (await this.#es.indices.exists({ index: name })).body;
    await this.#es.indices.updateAliases({
      body: {
        actions: [
          ...(isIndex ? [{ remove_index: { index: name } }] : []),
          ...behind.map((index) => ({ remove: { index, alias: name } })),
          { add: { index: fresh, alias: name, is_write_index: true } },
        ],
      },
    });
    for (const index of behind) await this.#es.indices.delete({ index, ignore_unavailable: true });
    await this.#pass(tenant, name);
    await this.#es.indices.refresh({ index: name });
    return {
      tenant,
      index: fresh,
      documents: first.documents,
      skipped: first.skipped,
      dropped: [...(isIndex ? [name] : []), ...behind],
    };
  }

  /** The indices the tenant's name is an alias on (none: it is an index itself, or nothing). */
  async #behind(name: string): Promise<string[]> {
    const answer = await this.#es.indices.getAlias({ name }, { ignore: [404] });
    if (answer.statusCode === 404) return [];
    return Object.keys((answer.body ?? {}) as object).filter((k) => k !== 'error' && k !== 'status');
  }

  async #pass(tenant: string, into: string): Promise<{ documents: number; skipped: number }> {
    let documents = 0;
    let skipped = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#messaging.messageLog(tenant, { limit: PAGE, ...(cursor ? { cursor } : {}) });
      const writes: IndexWrite[] = [];
      for (const entry of page.messages) {
        const body = !entry.deleted && entry.sealed ? await this.#indexer.open(tenant, entry) : undefined;
        if (!entry.deleted && entry.sealed && !body) {
          skipped++;
          continue;
        }
        writes.push({
          kind: 'upsert',
          tenant,
          document: await this.#indexer.documentFor(tenant, entry, body),
        });
      }
      await this.#index.applyTo(into, writes);
      documents += writes.length;
      cursor = page.nextCursor;
    } while (cursor);
    return { documents, skipped };
  }
}
