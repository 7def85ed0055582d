/**
 * The person's own GDPR exports: ask for one, follow each participating service's state, download
 * the archive when it is complete (fetched with the token, handed to the browser as a blob).
 */
import { useEffect, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

interface Job {
  id: string;
  kind: string;
  status: string;
  requestedAt: string;
  completedAt?: string;
  participants: unknown;
}

const FOLLOW_MS = 2_000;

/** `{ messaging: { state: 'done' }, ... }` or `[{ service, state }]`, as a short list. */
export function participantStates(participants: unknown): string[] {
  if (Array.isArray(participants))
    return participants.map((p) => {
      const q = p as { service?: string; name?: string; state?: string; status?: string };
      return `${q.service ?? q.name ?? '?'}: ${q.state ?? q.status ?? '?'}`;
    });
  if (participants && typeof participants === 'object')
    return Object.entries(participants).map(([name, p]) => {
      const q = p as { state?: string; status?: string } | string;
      return `${name}: ${typeof q === 'string' ? q : (q.state ?? q.status ?? '?')}`;
    });
  return [];
}

export function GdprJobs() {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/me/gdpr/jobs');
    if (data) setJobs(data.jobs as Job[]);
    else setError(describeProblem(problem, 'Your data requests could not be read.'));
  };
  const running = jobs.some((j) => !['completed', 'failed', 'cancelled'].includes(j.status));
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(load, FOLLOW_MS);
    return () => clearInterval(timer);
  }, [running]);

  const request = async () => {
    const { data, error: problem } = await api.POST('/api/v1/me/gdpr/exports', {});
    if (!data) return setError(describeProblem(problem, 'The export could not be requested.'));
    setError('');
    await load();
  };

  const download = async (job: Job) => {
    const { data, error: problem } = await api.GET('/api/v1/me/gdpr/jobs/{jobId}/archive', {
      params: { path: { jobId: job.id } },
      parseAs: 'blob',
    });
    if (!data) return setError(describeProblem(problem, 'The archive could not be downloaded.'));
    const url = URL.createObjectURL(data as Blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `parley-export-${job.id}.zip`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <>
      <p>
        <button type="button" onClick={() => void request()}>
          Export my data
        </button>
      </p>
      <p class="error" role="alert">
        {error}
      </p>
      <ul class="jobs" aria-label="Your data requests">
        {jobs.map((j) => (
          <li key={j.id} data-job={j.id} data-status={j.status}>
            <strong>{j.kind}</strong> asked {new Date(j.requestedAt).toLocaleString()}: {j.status}
            {participantStates(j.participants).length > 0 && (
              <span class="hint"> ({participantStates(j.participants).join(', ')})</span>
            )}{' '}
            {j.kind === 'export' && j.status === 'completed' && (
              <button type="button" onClick={() => void download(j)}>
                Download the archive
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
