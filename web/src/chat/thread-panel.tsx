/**
 * A thread: its root message, the replies in order, and a composer that replies in it. Replies
 * live in the conversation's timeline (they are changes of the conversation like any message), so
 * what arrives live or by catching up shows here once, like the main list.
 */
import { useState } from 'preact/hooks';
import { PendingItem } from './pending-item.tsx';
import type { NameOf } from './people.ts';
import type { PendingMessage } from './timeline.ts';
import type { Message } from './types.ts';

export function ThreadPanel(props: {
  root: Message;
  replies: Message[];
  pending: PendingMessage[];
  me: string;
  nameOf: NameOf;
  onSend: (text: string) => void;
  onRetry: (pending: PendingMessage) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setDraft('');
    props.onSend(text);
  };
  const who = (m: Message) => (m.senderId === props.me ? 'You' : props.nameOf(m.senderId));
  return (
    <aside class="thread" aria-labelledby="thread-title">
      <header class="thread-head">
        <h3 id="thread-title">Thread</h3>
        <button type="button" onClick={props.onClose}>
          Close thread
        </button>
      </header>
      <p class="thread-root">
        <span class="sender">{who(props.root)}</span>:{' '}
        {props.root.deleted ? <em>deleted</em> : props.root.text}
      </p>
      <ol class="messages" aria-label="Replies" aria-live="polite" aria-relevant="additions">
        {props.replies.map((m) => (
          <li key={m.id} class={`message${m.senderId === props.me ? ' mine' : ''}`} data-seq={m.seq}>
            <span class="sender">{who(m)}</span>
            <p class="text">{m.deleted ? <em>This reply was deleted.</em> : m.text}</p>
          </li>
        ))}
        {props.pending.map((p) => (
          <PendingItem key={p.clientMessageId} pending={p} onRetry={() => props.onRetry(p)} />
        ))}
      </ol>
      <form class="composer" onSubmit={submit}>
        <label for="thread-composer" class="visually-hidden">
          Reply in thread
        </label>
        <textarea
          id="thread-composer"
          rows={2}
          maxLength={10000}
          value={draft}
          placeholder="Reply in thread"
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <button type="submit">Reply</button>
      </form>
    </aside>
  );
}
