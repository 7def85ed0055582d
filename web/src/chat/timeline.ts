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
}

export const emptyTimeline = (): Timeline => ({ messages: new Map(), pending: [] });

/** A newer copy of a message (higher changeSeq) replaces an older one, never the reverse. */
export function mergeMessages(timeline: Timeline, incoming: readonly Message[]): Timeline {
  if (incoming.length === 0) return timeline;
  const messages = new Map(timeline.messages);
  const confirmed = new Set<string>();
  for (const message of incoming) {
    const known = messages.get(message.id);
    if (!known || known.changeSeq <= message.changeSeq) messages.set(message.id, message);
    confirmed.add(message.clientMessageId);
  }
  const pending = timeline.pending.filter((p) => !confirmed.has(p.clientMessageId));
  return { messages, pending };
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
