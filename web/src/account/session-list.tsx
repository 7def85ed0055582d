/** The person's own sessions (where they are signed in), each of which they may end. */
import { useEffect, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { navigate } from '../router.ts';
import { api, saveSession } from '../session.ts';

interface SessionRow {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  amr: string[];
  userAgent?: string;
  current: boolean;
}

const when = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export function SessionList() {
  const [sessions, setSessions] = useState<SessionRow[]>([]);
  const [error, setError] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/me/sessions');
    if (data) setSessions(data.sessions);
    else setError(describeProblem(problem, 'Your sessions could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const end = async (row: SessionRow) => {
    const { error: problem, response } = await api.DELETE('/api/v1/me/sessions/{sessionId}', {
      params: { path: { sessionId: row.id } },
    });
    if (!response.ok) return setError(describeProblem(problem, 'The session could not be ended.'));
    if (row.current) {
      saveSession(undefined);
      return navigate('sign-in');
    }
    await load();
  };

  return (
    <>
      <p class="error" role="alert">
        {error}
      </p>
      <table class="sessions">
        <caption class="visually-hidden">Your sessions</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td>
                {s.userAgent ? shortAgent(s.userAgent) : 'Unknown device'}
                {s.current && <strong> (this browser)</strong>}
                {s.amr.includes('otp') && <span class="hint"> · two-step</span>}
              </td>
              <td>{when(s.createdAt)}</td>
              <td>{when(s.lastUsedAt)}</td>
              <td>
                <button type="button" onClick={() => void end(s)}>
                  {s.current ? 'Sign out here' : 'End session'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** "Chrome on Linux" from a user agent, or its first words. */
function shortAgent(agent: string): string {
  const browser = /(Firefox|Edg|Chrome|Safari)\//.exec(agent)?.[1]?.replace('Edg', 'Edge');
  const system = /(Windows|Mac OS X|Android|iPhone|Linux)/.exec(agent)?.[1]?.replace('Mac OS X', 'macOS');
  return browser ? `${browser}${system ? ` on ${system}` : ''}` : agent.slice(0, 40);
}
