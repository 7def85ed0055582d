/**
 * Reading a conversation: pages of history in either direction around a seq or an instant
 * (roots, or one thread's replies), and "every change after seq N" for a reconnecting client,
 * gap-free: the answer stops before a seq still being written, and fills a seq whose writer died
 * with a void once it is older than SEQ_VOID_AFTER_MS (seq-ledger.ts).
 */
import type { Change, ChangeList, HistoryQuery, MessagePage } from '@parley/contracts';
import type { Filter } from 'mongodb';
import type { LogDocument, MessageDocument, TenantCollections } from '../store/collections.ts';
import type { Caller } from './caller.ts';
import type { ChangeApplier } from './change-applier.ts';
import type { Conversations } from './conversations.ts';
import { logId } from './ids.ts';
import type { MessageViews } from './message-views.ts';
import { messagingProblems } from './messaging-problems.ts';
import { readPosition } from './seq-counters.ts';
import type { SeqLedger } from './seq-ledger.ts';

/** How many gaps or unfinished entries one catch-up read repairs before answering what it has. */
const MAX_REPAIRS_PER_READ = 20;

/**
 * Why small reads go by `_id` (the span is the setting CHANGES_POINT_READ_SPAN): the local
 * Mongo-wire server (FerretDB 1.24 over PostgreSQL) pushes only an `_id` equality down to
 * PostgreSQL (explain: `filterPushdown: true`; PostgreSQL still scans the jsonb rows, but without
 * FerretDB decoding each document); a range query on (conversationId, seq), a sort, a limit or an
 * `$in` on ids is FerretDB's own sequential scan of the tenant's whole collection (1.9 to 2.9 s
 * for one `changes?since=N&limit=1` in a tenant of 15,000 log entries, which timed the socket
 * replicas' reads out; 30 to 90 ms with these lookups). MongoDB serves the range query through
 * its index: there the span can be 0 (always the range query).
 *
 * Lookups in flight per round of a read (the local FerretDB wedges when ~50 operations need its pool).
 */
const POINT_READS_PER_ROUND = 32;

export class History {
  readonly #conversations: Conversations;
  readonly #views: MessageViews;
  readonly #ledger: SeqLedger;
  readonly #applier: ChangeApplier;
  readonly #pointReadSpan: number;

  constructor(deps: {
    conversations: Conversations;
    views: MessageViews;
    ledger: SeqLedger;
    applier: ChangeApplier;
    /** Reads of at most this many seqs (and messages) go by `_id` lookups; 0: always the range query. */
    pointReadSpan: number;
  }) {
    this.#pointReadSpan = deps.pointReadSpan;
    this.#conversations = deps.conversations;
    this.#views = deps.views;
    this.#ledger = deps.ledger;
    this.#applier = deps.applier;
  }

  async page(caller: Caller, conversationId: string, query: HistoryQuery): Promise<MessagePage> {
    const anchors = ['before', 'after', 'around', 'beforeTime', 'afterTime'].filter(
      (k) => query[k as keyof HistoryQuery] !== undefined,
    );
    if (anchors.length > 1) throw messagingProblems.badRequest(`Give at most one of ${anchors.join(', ')}`);
    const { collections: c } = await this.#conversations.requireMember(caller, conversationId, {
      position: false,
    });
    const limit = query.limit ?? 50;
    const base: Filter<MessageDocument> = {
      conversationId,
      parentId: query.parentId ? query.parentId : { $exists: false },
    };
    const older = (extra: Filter<MessageDocument>, n: number) =>
      c.messages
        .find({ ...base, ...extra })
        .sort({ seq: -1 })
        .limit(n)
        .toArray()
        .then((d) => d.reverse());
    const newer = (extra: Filter<MessageDocument>, n: number) =>
      c.messages
        .find({ ...base, ...extra })
        .sort({ seq: 1 })
        .limit(n)
        .toArray();

    let docs: MessageDocument[];
    let moreOlder: boolean | undefined;
    let moreNewer: boolean | undefined;
    if (query.after !== undefined || query.afterTime !== undefined) {
      const extra =
        query.after !== undefined
          ? { seq: { $gt: query.after } }
          : { createdAt: { $gt: new Date(query.afterTime as string) } };
      docs = await newer(extra, limit + 1);
      moreNewer = docs.length > limit;
      docs = docs.slice(0, limit);
    } else if (query.around !== undefined) {
      const half = Math.floor(limit / 2);
      const [before, from] = await Promise.all([
        older({ seq: { $lt: query.around } }, half + 1),
        newer({ seq: { $gte: query.around } }, limit - half + 1),
      ]);
      moreOlder = before.length > half;
      moreNewer = from.length > limit - half;
      docs = [...before.slice(moreOlder ? 1 : 0), ...from.slice(0, limit - half)];
    } else {
      const extra =
        query.before !== undefined
          ? { seq: { $lt: query.before } }
          : query.beforeTime !== undefined
            ? { createdAt: { $lt: new Date(query.beforeTime) } }
            : {};
      docs = await older(extra, limit + 1);
      moreOlder = docs.length > limit;
      docs = docs.slice(moreOlder ? 1 : 0);
      if (query.before === undefined && query.beforeTime === undefined) moreNewer = false;
    }
    const first = docs[0];
    const last = docs.at(-1);
    // The direction a query did not look in is asked once, cheaply (one id or none).
    const exists = async (extra: Filter<MessageDocument>) =>
      (await c.messages.findOne({ ...base, ...extra }, { projection: { _id: 1 } })) !== null;
    if (moreOlder === undefined) moreOlder = first ? await exists({ seq: { $lt: first.seq } }) : false;
    if (moreNewer === undefined) moreNewer = last ? await exists({ seq: { $gt: last.seq } }) : false;
    return {
      messages: await this.#views.many(c, docs),
      ...(moreOlder && first ? { prevCursor: first.seq } : {}),
      ...(moreNewer && last ? { nextCursor: last.seq } : {}),
    };
  }

  async changes(caller: Caller, conversationId: string, since: number, limit = 200): Promise<ChangeList> {
    const { collections: c } = await this.#conversations.requireMember(caller, conversationId, {
      position: false,
    });
    const entries = await this.#contiguous(c, conversationId, since, limit);
    const ids = [...new Set(entries.map((e) => e.messageId).filter((id): id is string => Boolean(id)))];
    const docs = await this.#messagesById(c, ids);
    const views = new Map((await this.#views.many(c, docs)).map((m) => [m.id, m]));
    const changes: Change[] = entries.map((e) => {
      const message = e.messageId ? views.get(e.messageId) : undefined;
      return {
        seq: e.seq,
        kind: e.kind,
        at: e.at.toISOString(),
        ...(e.messageId && e.kind !== 'void' ? { messageId: e.messageId } : {}),
        ...(message && e.kind !== 'void' ? { message } : {}),
      };
    });
    const upTo = entries.at(-1)?.seq ?? since;
    const position = await readPosition(c, conversationId);
    return { changes, upTo, hasMore: entries.length === limit || (position?.seq ?? 0) > upTo };
  }

  /** The applied entries from since+1 on, without a hole: stops before the first seq still in flight. */
  async #contiguous(
    c: TenantCollections,
    conversationId: string,
    since: number,
    limit: number,
  ): Promise<LogDocument[]> {
    const out: LogDocument[] = [];
    let next = since + 1;
    let repairs = 0;
    // Each round takes at least one entry, or repairs one seq, or ends the read.
    while (out.length < limit && repairs <= MAX_REPAIRS_PER_READ) {
      const batch = await this.#batch(c, conversationId, next, limit - out.length);
      if (batch.length === 0) {
        // Nothing written from `next` on: is `next` reserved by a writer that died?
        const position = await readPosition(c, conversationId);
        if (!position || position.seq < next || !this.#ledger.isStale(position.seqAt)) break;
        repairs++;
        await this.#ledger.fillVoid(c, conversationId, next);
        continue;
      }
      let blocked = false;
      for (let entry of batch) {
        if (entry.seq !== next) {
          // A hole at `next`: its writer is still at work, or died. The entry after it was
          // reserved later, so once that one is old, the hole's writer has had its time.
          if (this.#ledger.isStale(entry.at)) {
            repairs++;
            await this.#ledger.fillVoid(c, conversationId, next);
          } else blocked = true;
          break;
        }
        if (!entry.applied) {
          if (!this.#ledger.isStale(entry.at)) {
            blocked = true;
            break;
          }
          repairs++;
          entry = (await this.#applier.apply(c, entry)).entry;
        }
        out.push(entry);
        next++;
      }
      if (blocked) break;
    }
    return out;
  }

  /**
   * The log entries from `next` on, sorted by seq, holes absent, at most `want`, as far as
   * `#contiguous` needs them: the entries before the first hole, and (to judge the hole) the
   * first entry after it. A read whose span (up to `want` seqs, up to the counter) is at most
   * `pointReadSpan` seqs is read by `_id` (logId), POINT_READS_PER_ROUND lookups at a time (the
   * caller's loop asks for the next round); a bigger one (or any, with `pointReadSpan` 0) by the
   * range query.
   *
   * The counter is not taken as the log's end: on FerretDB it can lag the log briefly (a lost
   * `$inc` sets it below a seq already taken, and the next writer, meeting the duplicate key,
   * proposes again), so each round also looks one seq past the counter, and the rounds go on
   * while entries are there, until one is missing.
   */
  async #batch(
    c: TenantCollections,
    conversationId: string,
    next: number,
    want: number,
  ): Promise<LogDocument[]> {
    const range = () =>
      c.log
        .find({ conversationId, seq: { $gte: next } })
        .sort({ seq: 1 })
        .limit(want)
        .toArray();
    if (this.#pointReadSpan === 0) return range();
    const entryAt = (seq: number) => c.log.findOne({ _id: logId(conversationId, seq) });
    const span = (from: number, to: number) =>
      Promise.all(Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => entryAt(from + i)));
    // A read of a few seqs asks for them while it reads the counter; a bigger one asks the counter first.
    const guess = want <= POINT_READS_PER_ROUND;
    const [position, guessed] = await Promise.all([
      readPosition(c, conversationId),
      guess ? span(next, next + want - 1) : undefined,
    ]);
    const counter = position?.seq ?? 0;
    let last = next + want - 1;
    let found = guessed;
    if (!found) {
      if (Math.min(want, counter - next + 1) > this.#pointReadSpan) return range();
      // This round: up to the counter and one past it (a lagging counter), at least `next`.
      last = Math.max(next, Math.min(next + POINT_READS_PER_ROUND - 1, counter + 1));
      found = await span(next, last);
    }
    const entries = found.filter((e): e is LogDocument => e !== null);
    const hole = found.indexOf(null);
    if (hole === -1) return entries;
    const holeSeq = next + hole;
    if (entries.some((e) => e.seq > holeSeq) || holeSeq > counter) return entries;
    // A hole the counter vouches past, with nothing after it read yet: find the first entry after
    // it (its time judges the hole), among the seqs up to one past the counter.
    const upTo = Math.min(counter + 1, last + POINT_READS_PER_ROUND);
    const after = (await span(last + 1, upTo)).find((e) => e !== null);
    if (after) return [...entries, after];
    if (upTo > counter) return entries;
    const beyond = await c.log
      .find({ conversationId, seq: { $gt: upTo } })
      .sort({ seq: 1 })
      .limit(1)
      .toArray();
    return [...entries, ...beyond];
  }

  /** Messages by id: up to `pointReadSpan` by `_id` lookups (POINT_READS_PER_ROUND at a time), more by one `$in`. */
  async #messagesById(c: TenantCollections, ids: string[]): Promise<MessageDocument[]> {
    if (ids.length === 0) return [];
    if (ids.length > this.#pointReadSpan) return c.messages.find({ _id: { $in: ids } }).toArray();
    const docs: MessageDocument[] = [];
    for (let i = 0; i < ids.length; i += POINT_READS_PER_ROUND) {
      const round = ids.slice(i, i + POINT_READS_PER_ROUND);
      for (const doc of await Promise.all(round.map((id) => c.messages.findOne({ _id: id }))))
        if (doc) docs.push(doc);
    }
    return docs;
  }
}
