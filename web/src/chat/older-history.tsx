/**
 * Older history, by the messages cursor: the first page's `prevCursor` says older messages exist;
 * `before=<cursor>` reads the page before it, and so on until there is none. A page is asked for
 * when the top of the list scrolls into view (an IntersectionObserver on it) or by the button
 * there (for keyboards and for a list too short to scroll). The scroll position is kept across
 * the insertion, so what the person was reading stays where it was.
 */
import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';
import type { Message } from './types.ts';

const PAGE = 50;

export interface OlderHistory {
  /** Older messages exist (a cursor to read them by). */
  more: boolean;
  loading: boolean;
  loadOlder: () => void;
  /**
   * Reads older pages (of the largest size the API gives) until the message at `seq` is loaded
   * or the conversation's start is: the jump to the first unread. Resolves once they are merged.
   */
  loadThrough: (seq: number) => Promise<void>;
}

/** The largest page the messages route answers: a jump back reads as few pages as it can. */
const JUMP_PAGE = 200;

export function useOlderHistory(options: {
  conversationId: string;
  /** The first page's cursor (undefined: the conversation starts within it). */
  firstCursor: number | undefined;
  list: RefObject<HTMLElement | null>;
  /** How many messages are shown: the scroll is restored once the older page is rendered. */
  shown: number;
  onPage: (messages: Message[], prevCursor: number | undefined) => void;
  onError: (text: string) => void;
}): OlderHistory {
  // The cursor follows the first page's at once (in the same render, not an effect later), so a
  // render never says "no older messages" for a conversation that has them.
  const key = `${options.conversationId}:${options.firstCursor}`;
  const [read, setRead] = useState<{ key: string; cursor: number | undefined }>({
    key: '',
    cursor: undefined,
  });
  const cursor = read.key === key ? read.cursor : options.firstCursor;
  const setCursor = (next: number | undefined) => setRead({ key, cursor: next });
  const [loading, setLoading] = useState(false);
  const anchor = useRef<{ height: number; top: number } | undefined>(undefined);
  const current = useRef(options.conversationId);
  current.current = options.conversationId;

  const loadOlder = async () => {
    if (loading || cursor === undefined) return;
    const conversationId = options.conversationId;
    setLoading(true);
    const list = options.list.current;
    anchor.current = list ? { height: list.scrollHeight, top: list.scrollTop } : undefined;
    try {
      const { data, error } = await api.GET('/api/v1/conversations/{conversationId}/messages', {
        params: { path: { conversationId }, query: { before: cursor, limit: PAGE } },
      });
      if (current.current !== conversationId) return;
      if (!data) return options.onError(describeProblem(error, 'Older messages could not be loaded.'));
      setCursor(data.prevCursor);
      options.onPage(data.messages, data.prevCursor);
    } catch (failure) {
      options.onError(describeProblem(failure));
    } finally {
      setLoading(false);
    }
  };

  const loadThrough = async (seq: number) => {
    if (loading) return;
    const conversationId = options.conversationId;
    let before = cursor;
    setLoading(true);
    try {
      while (before !== undefined && before > seq) {
        const { data, error } = await api.GET('/api/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId }, query: { before, limit: JUMP_PAGE } },
        });
        if (current.current !== conversationId) return;
        if (!data) return options.onError(describeProblem(error, 'Older messages could not be loaded.'));
        before = data.prevCursor;
        setCursor(before);
        options.onPage(data.messages, data.prevCursor);
      }
    } catch (failure) {
      options.onError(describeProblem(failure));
    } finally {
      setLoading(false);
    }
  };

  // The older page is in the list now: keep the same content under the eye.
  useLayoutEffect(() => {
    const list = options.list.current;
    if (!anchor.current || !list) return;
    list.scrollTop = list.scrollHeight - anchor.current.height + anchor.current.top;
    anchor.current = undefined;
  }, [options.shown]);

  return { more: cursor !== undefined, loading, loadOlder: () => void loadOlder(), loadThrough };
}

/** The top of the list: asks for the older page when it scrolls into view, or on its button. */
export function OlderHistoryTop(props: { history: OlderHistory; list: RefObject<HTMLElement | null> }) {
  const top = useRef<HTMLLIElement>(null);
  const { history } = props;
  const load = useRef(history.loadOlder);
  load.current = history.loadOlder;
  useEffect(() => {
    const element = top.current;
    if (!element || !history.more) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) load.current();
      },
      { root: props.list.current, rootMargin: '200px 0px 0px 0px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [history.more, history.loading]);

  return (
    <li ref={top} class="older">
      {history.more ? (
        <button type="button" class="link" onClick={history.loadOlder} disabled={history.loading}>
          {history.loading ? 'Loading older messages…' : 'Load older messages'}
        </button>
      ) : (
        <span class="start">The start of the conversation.</span>
      )}
    </li>
  );
}
