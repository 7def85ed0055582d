/** The sidebar: the caller's conversations, latest activity first, with unread and mention counts. */
import type { ConversationSummary } from './types.ts';

export function conversationTitle(c: { kind: string; name?: string; participants?: string[] }, me: string) {
  if (c.name) return c.name;
  if (c.kind === 'direct')
    return (c.participants ?? []).filter((p) => p !== me).join(', ') || 'Direct message';
  return 'Untitled';
}

export function ConversationList(props: {
  conversations: ConversationSummary[];
  selected?: string;
  me: string;
}) {
  if (props.conversations.length === 0) return <p class="hint">No conversations yet.</p>;
  return (
    <ul class="conversation-list">
      {props.conversations.map((c) => {
        const title = conversationTitle(c, props.me);
        const label =
          c.unread > 0
            ? `${title}, ${c.unread} unread${c.mentions ? `, ${c.mentions} mentions` : ''}`
            : title;
        return (
          <li key={c.id}>
            <a
              href={`#/chat/${encodeURIComponent(c.id)}`}
              aria-current={c.id === props.selected ? 'page' : undefined}
              aria-label={label}
              class={c.unread > 0 ? 'unread' : undefined}
            >
              <span class="title">{title}</span>
              {c.mentions > 0 && (
                <span class="badge mention" aria-hidden="true">
                  @{c.mentions}
                </span>
              )}
              {c.unread > 0 && (
                <span class="badge" aria-hidden="true" data-testid="unread">
                  {c.unread}
                </span>
              )}
            </a>
          </li>
        );
      })}
    </ul>
  );
}
