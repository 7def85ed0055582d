/** Retention policies (what is kept how long) and their last runs; a dry run shows what a run would delete. */
import { useEffect, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

interface Policy {
  name: string;
  rules: { resource: string; maxAgeSeconds: number; conversationIds?: string[] }[];
  dryRun: boolean;
}
/** packages/retention's RetentionRun, as far as the page shows it. */
interface Run {
  id: string;
  policy: string;
  dryRun: boolean;
  status: string;
  startedAt: string;
  counts: Record<string, { deleted: number; skippedHeld: number; wouldDelete: number } | undefined>;
  holdsApplied: string[];
}

const days = (seconds: number) => `${Math.round((seconds / 86_400) * 10) / 10} days`;

export function RetentionOverview() {
  const [policies, setPolicies] = useState<Policy[]>([]);
  const [runs, setRuns] = useState<Run[]>([]);
  const [error, setError] = useState('');

  const load = async () => {
    const [p, r] = await Promise.all([
      api.GET('/api/v1/admin/retention/policies'),
      api.GET('/api/v1/admin/retention/runs', { params: { query: { limit: 10 } } }),
    ]);
    if (p.data) setPolicies(p.data.policies as Policy[]);
    if (r.data) setRuns(r.data.runs as Run[]);
    if (!p.data || !r.data) setError(describeProblem(p.error ?? r.error, 'Retention could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const dryRun = async (policy: string) => {
    const { response, error: problem } = await api.POST('/api/v1/admin/retention/runs', {
      body: { policy, dryRun: true },
    });
    if (!response.ok) setError(describeProblem(problem, 'The dry run was refused.'));
    await load();
  };

  return (
    <>
      <p class="error" role="alert">
        {error}
      </p>
      {policies.length === 0 ? (
        <p>No retention policy: everything is kept.</p>
      ) : (
        <ul class="policies" aria-label="Retention policies">
          {policies.map((p) => (
            <li key={p.name}>
              <strong>{p.name}</strong>
              {p.dryRun && ' (dry run only)'}:{' '}
              {p.rules
                .map(
                  (rule) =>
                    `${rule.resource} after ${days(rule.maxAgeSeconds)}${rule.conversationIds ? ` in ${rule.conversationIds.length} conversations` : ''}`,
                )
                .join('; ')}{' '}
              <button type="button" onClick={() => void dryRun(p.name)}>
                Dry run {p.name} now
              </button>
            </li>
          ))}
        </ul>
      )}
      <table>
        <caption>Last runs</caption>
        <thead>
          <tr>
            <th scope="col">Policy</th>
            <th scope="col">Started</th>
            <th scope="col">Kind</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id}>
              <td>{run.policy}</td>
              <td>{new Date(run.startedAt).toLocaleString()}</td>
              <td>{run.dryRun ? 'dry run' : 'run'}</td>
              <td>
                {run.status}: {summary(run)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function summary(run: Run): string {
  const parts = Object.entries(run.counts).flatMap(([resource, c]) =>
    c
      ? [
          `${resource} ${run.dryRun ? `would delete ${c.wouldDelete}` : `deleted ${c.deleted}`}, held ${c.skippedHeld}`,
        ]
      : [],
  );
  if (run.holdsApplied.length > 0) parts.push(`holds applied: ${run.holdsApplied.length}`);
  return parts.join('; ') || 'nothing expired';
}
