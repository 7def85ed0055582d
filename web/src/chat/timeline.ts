/**
 * What a conversation shows: the server's messages by id (ordered by seq) and the person's own
 * messages still on their way (optimistic, by clientMessageId). Pure functions, so merging a page,
 * a change or a send's answer in any order and any number of times shows each message once.
 */
import type { Change, Message } from './types.ts';

export interface PendingMessage {
  clientMessageId: string;
  text: string;
  status: 'sending' | 'failed';
  /** A reply in this message's thread. */
  parentId?: string;
  /** Uploaded files (media ids) the send carries; a retry carries the same. */
  attachments?: string[];
}

export interface Timeline {
  messages: Map<string, Message>;
  pending: PendingMessage[];
  /**
   * The lowest seq of the history read so far, while older messages exist (undefined: the
   * history is read to the start, or not yet). Top-level messages below it are not kept: a live
   * change for one (a late delivery of a message sent before the page was read, or an edit of an
   * old one) would show it alone above a gap; the older page brings it, in its latest state.
   */
  floor?: number;
}

export const emptyTimeline = (): Timeline => ({ messages: new Map(), pending: [] });

const belowFloor = (message: Message, floor: number | undefined) =>
  floor !== undefined && !message.parentId && message.seq < floor;

/** A newer copy of a message (higher changeSeq) replaces an older one, never the reverse. */
export function mergeMessages(timeline: Timeline, incoming: readonly Message[]): Timeline {
  if (incoming.length === 0) return timeline;
  const messages = new Map(timeline.messages);
  const confirmed = new Set<string>();
  for (const message of incoming) {
    // Still confirms a pending copy: the person's own send answered, whatever is shown.
    confirmed.add(message.clientMessageId);
    if (belowFloor(message, timeline.floor)) continue;
    const known = messages.get(message.id);
    if (!known || known.changeSeq <= message.changeSeq) messages.set(message.id, message);
  }
  const pending = timeline.pending.filter((p) => !confirmed.has(p.clientMessageId));
  return { ...timeline, messages, pending };
}

/**
 * A history page was read: its messages are merged and the floor moves to the page's cursor
 * (`prevCursor`, the lowest seq it holds; undefined once the start is reached).
 */
export function mergeHistoryPage(
  timeline: Timeline,
  page: readonly Message[],
  prevCursor: number | undefined,
): Timeline {
  const merged = mergeMessages({ ...timeline, floor: undefined }, page);
  if (prevCursor === undefined) return merged;
  const messages = new Map([...merged.messages].filter(([, m]) => !belowFloor(m, prevCursor)));
  return { ...merged, messages, floor: prevCursor };
}

export function applyChanges(timeline: Timeline, changes: readonly Change[]): Timeline {
  return mergeMessages(
    timeline,
    changes.flatMap((change) => (change.message ? [change.message as Message] : [])),
  );
}

export function addPending(timeline: Timeline, pending: PendingMessage): Timeline {
  const others = timeline.pending.filter((p) => p.clientMessageId !== pending.clientMessageId);
  return { ...timeline, pending: [...others, pending] };
}

export function markPending(timeline: Timeline, clientMessageId: string, status: PendingMessage['status']) {
  return {
    ...timeline,
    pending: timeline.pending.map((p) => (p.clientMessageId === clientMessageId ? { ...p, status } : p)),
  };
}

/** Top-level messages in seq order (replies belong to their thread). */
export function orderedMessages(timeline: Timeline): Message[] {
  return [...timeline.messages.values()].filter((m) => !m.parentId).sort((a, b) => a.seq - b.seq);
}

/** A thread's replies in seq order. */
export function threadReplies(timeline: Timeline, rootId: string): Message[] {
  return [...timeline.messages.values()].filter((m) => m.parentId === rootId).sort((a, b) => a.seq - b.seq);
}

/**
 * How many replies a root has: the server's count when the root was read, or more when replies
 * arrived since (a reply is a change of its own; the root's copy is not re-sent for it).
 */
export function replyCount(timeline: Timeline, root: Message): number {
  let known = 0;
  for (const m of timeline.messages.values()) if (m.parentId === root.id) known += 1;
  return Math.max(root.replyCount ?? 0, known);
}

/** The highest change the timeline reflects: where catching up continues from. */
export function lastChangeSeq(messages: Iterable<Message>): number {
  let last = 0;
  for (const message of messages) last = Math.max(last, message.changeSeq, message.seq);
  return last;
}

/**
 * Where the "new messages" divider goes: before the first shown root message that was unread when
 * the conversation opened (after `readSeq`, sent by someone else, not deleted), the rule
 * messaging counts unread by. `placed` is false while that message may not be the first one:
 * older messages are still unread beyond the loaded pages (the oldest loaded one is unread and
 * more history exists), so a divider there would be in the wrong place.
 */
export function unreadDivider(
  messages: readonly Message[],
  readSeq: number,
  me: string,
  olderExist: boolean,
): { beforeId: string; placed: boolean } | undefined {
  const first = messages.find((m) => m.seq > readSeq && m.senderId !== me && !m.deleted);
  if (!first) return undefined;
  const oldest = messages[0];
  const placed = !olderExist || (oldest !== undefined && oldest.seq <= readSeq);
  return { beforeId: first.id, placed };
}
