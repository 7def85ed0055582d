/**
 * Search over the messages of the person's conversations (`GET /api/v1/search`): free text with
 * the filters the search service reads in the query itself (`from:`, `in:`, `before:`, `after:`,
 * `has:attachment`), matches highlighted, more results by cursor.
 */

import type { paths } from '@parley/sdk';
import { useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { highlightPieces } from '../search/highlight.ts';
import { api } from '../session.ts';
import { PageFrame } from './page-frame.tsx';

type Result =
  paths['/api/v1/search']['get']['responses'][200]['content']['application/json']['results'][number];

export function SearchPage(props: { query: string }) {
  const [q, setQ] = useState(props.query);
  const [results, setResults] = useState<Result[] | undefined>();
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState('');

  const run = async (more: boolean) => {
    setError('');
    const { data, error: problem } = await api.GET('/api/v1/search', {
      params: { query: { q: q.trim(), limit: 20, ...(more && cursor ? { cursor } : {}) } },
    });
    if (!data) return setError(describeProblem(problem, 'The search could not be run.'));
    setResults((before) => (more ? [...(before ?? []), ...data.results] : data.results));
    setCursor(data.nextCursor);
  };

  return (
    <PageFrame title="Search" current="search">
      <search>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            if (q.trim()) void run(false);
          }}
        >
          <div class="grow">
            <label for="search-q">Search messages</label>
            <input
              id="search-q"
              type="search"
              required
              maxLength={500}
              aria-describedby="search-hint"
              value={q}
              onInput={(e) => setQ(e.currentTarget.value)}
            />
          </div>
          <button type="submit">Search</button>
        </form>
      </search>
      <p id="search-hint" class="hint">
        Filters: <code>from:</code>user, <code>in:</code>conversation, <code>before:</code>/
        <code>after:</code>
        2026-01-31, <code>has:attachment</code>; "quotes" for a phrase.
      </p>
      <p class="error" role="alert">
        {error}
      </p>
      {results && (
        <section aria-labelledby="results-title">
          <h2 id="results-title">Results</h2>
          <p role="status">
            {results.length === 0 ? 'Nothing found' : `${results.length}${cursor ? '+' : ''} found`}
          </p>
          <ol class="results" aria-label="Results">
            {results.map((r) => (
              <li key={r.messageId}>
                <a href={`#/chat/${encodeURIComponent(r.conversationId)}`}>
                  <span class="sender">{r.senderId}</span>{' '}
                  <time dateTime={r.createdAt}>{new Date(r.createdAt).toLocaleString()}</time>
                  {r.parentId && <span class="hint"> · in a thread</span>}
                </a>
                {(r.highlights.length > 0 ? r.highlights : [r.text]).map((fragment, i) => (
                  <p key={i} class="text">
                    {r.highlights.length > 0
                      ? highlightPieces(fragment).map((piece, j) =>
                          piece.marked ? <mark key={j}>{piece.text}</mark> : piece.text,
                        )
                      : fragment}
                  </p>
                ))}
              </li>
            ))}
          </ol>
          {cursor && (
            <button type="button" onClick={() => void run(true)}>
              More results
            </button>
          )}
        </section>
      )}
    </PageFrame>
  );
}
