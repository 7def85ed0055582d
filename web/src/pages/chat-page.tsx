/**
 * The chat: the conversation list beside the open conversation. The list is read again when a
 * live change or a membership change arrives (a moment later, once for a burst), and every few
 * seconds while the socket is not live.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ConversationList, conversationTitle } from '../chat/conversation-list.tsx';
import { ConversationView } from '../chat/conversation-view.tsx';
import { isLive, onLiveChange, onLiveStatus, onMembershipChange } from '../chat/live.ts';
import type { ConversationSummary } from '../chat/types.ts';
import { describeProblem } from '../problem.ts';
import { navigate } from '../router.ts';
import { api, currentSession, saveSession, sessionUserId } from '../session.ts';
import { TopLinks } from './page-frame.tsx';

const LIST_POLL_MS = 3000;
/** A burst of changes (a busy conversation) reads the list once. */
const LIST_DEBOUNCE_MS = 250;

export function ChatPage(props: { conversationId?: string }) {
  const session = currentSession();
  const me = session ? sessionUserId(session) : '';
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const [live, setLive] = useState(isLive);
  useEffect(() => onLiveStatus(setLive), []);

  const refresh = useCallback(async () => {
    try {
      const { data, error: problem } = await api.GET('/api/v1/conversations', {
        params: { query: { limit: 100 } },
      });
      if (data) {
        setConversations(data.conversations);
        setError('');
      } else setError(describeProblem(problem, 'Conversations could not be loaded.'));
    } catch {
      // offline: shown as it was; the next round refreshes
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => isLive() || refresh(), LIST_POLL_MS);
    let soon: ReturnType<typeof setTimeout> | undefined;
    const refreshSoon = () => {
      soon ??= setTimeout(() => {
        soon = undefined;
        void refresh();
      }, LIST_DEBOUNCE_MS);
    };
    const stopChanges = onLiveChange(refreshSoon);
    const stopMembership = onMembershipChange(refreshSoon);
    return () => {
      clearInterval(timer);
      clearTimeout(soon);
      stopChanges();
      stopMembership();
    };
  }, [refresh]);

  const unread = conversations.reduce((sum, c) => sum + (c.id === props.conversationId ? 0 : c.unread), 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Parley` : 'Parley';
  }, [unread]);

  const create = async (event: Event) => {
    event.preventDefault();
    const memberIds = members.split(/[\s,]+/).filter(Boolean);
    const { data, error: problem } = await api.POST('/api/v1/conversations', {
      body: { kind: 'group', name: name.trim(), memberIds },
    });
    if (!data) return setError(describeProblem(problem, 'The conversation could not be created.'));
    setName('');
    setMembers('');
    await refresh();
    navigate(`chat/${encodeURIComponent(data.id)}`);
  };

  const signOut = async () => {
    await api.POST('/api/v1/logout', {}).catch(() => undefined);
    saveSession(undefined);
    navigate('sign-in');
  };

  const open = conversations.find((c) => c.id === props.conversationId);
  return (
    <div class={`chat-layout${props.conversationId ? ' has-conversation' : ''}`} data-live={live}>
      <header class="top-bar">
        <a href="#/chat" class="brand">
          Parley
        </a>
        <span class="who">{session?.tenant}</span>
        <nav aria-label="Places" class="places">
          <TopLinks current="chat" />
        </nav>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav class="sidebar" aria-label="Conversations">
        <h2 class="visually-hidden">Conversations</h2>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <ConversationList conversations={conversations} selected={props.conversationId} me={me} />
        <details class="new-conversation">
          <summary>New group</summary>
          <form onSubmit={create}>
            <label for="group-name">Name</label>
            <input
              id="group-name"
              required
              maxLength={100}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <label for="group-members">Member user ids</label>
            <input
              id="group-members"
              value={members}
              aria-describedby="members-hint"
              onInput={(e) => setMembers(e.currentTarget.value)}
            />
            <p id="members-hint" class="hint">
              Separated by commas. Your id: <code>{me}</code>
            </p>
            <button type="submit">Create</button>
          </form>
        </details>
      </nav>
      <main class="main">
        {props.conversationId ? (
          <>
            <a href="#/chat" class="back">
              ← Conversations
            </a>
            <ConversationView
              conversationId={props.conversationId}
              me={me}
              title={open ? conversationTitle(open, me) : 'Conversation'}
              onRead={refresh}
            />
          </>
        ) : (
          <p class="empty">Choose a conversation.</p>
        )}
      </main>
    </div>
  );
}
