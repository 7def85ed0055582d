/** The tenant's audit log for admins and compliance officers: filters, and Verify in the browser. */

import {
  type ProofBundle,
  type ShownRecord,
  type ShownVerdict,
  verifyShownChain,
  verifyShownRecords,
} from '@parley/audit-chain/browser';
import { useEffect, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { anonymousApi, api, currentSession } from '../session.ts';
import { PageFrame } from './page-frame.tsx';

export function AuditPage() {
  const [records, setRecords] = useState<ShownRecord[]>([]);
  const [action, setAction] = useState('');
  const [actorId, setActorId] = useState('');
  const [error, setError] = useState('');
  const [verdict, setVerdict] = useState<ShownVerdict | 'checking' | undefined>();

  const load = async (event?: Event) => {
    event?.preventDefault();
    setVerdict(undefined);
    const { data, error: problem } = await api.GET('/api/v1/admin/audit/records', {
      params: { query: { limit: 100, ...(action ? { action } : {}), ...(actorId ? { actorId } : {}) } },
    });
    if (data) {
      setRecords(data.records as ShownRecord[]);
      setError('');
    } else setError(describeProblem(problem, 'The audit log could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  // The chain of what is shown first (it needs nothing from the server), then a proof bundle of
  // exactly those records: every one included in a tree whose checkpoint a published key signed.
  // The keys are fetched apart from the bundle, from the public key document (no token), and the
  // bundle's own keys are ignored: a bundle signed by any other key fails.
  const verify = async () => {
    setVerdict('checking');
    const chain = await verifyShownChain(records);
    if (!chain.ok) return setVerdict(chain);
    const published = await anonymousApi.GET('/api/v1/tenants/{tenant}/audit/signing-keys', {
      params: { path: { tenant: currentSession()?.tenant ?? '' } },
    });
    if (!published.data)
      return setVerdict({
        ok: false,
        reason: `the published signing keys could not be fetched (${describeProblem(published.error, 'no answer')})`,
      });
    const trusted = new Map(published.data.keys.map((k) => [k.keyId, k.publicKey]));
    const sequences = records.map((r) => r.sequence).join(',');
    const { data, error: problem } = await api.GET('/api/v1/admin/audit/proofs', {
      params: { query: { sequences } },
    });
    if (!data)
      return setVerdict({
        ok: false,
        reason: `the log's proofs could not be fetched (${describeProblem(problem, 'no answer')})`,
      });
    setVerdict(await verifyShownRecords(records, data as ProofBundle, trusted));
  };

  return (
    <PageFrame title="Audit log" current="audit">
      <form class="filters" onSubmit={load}>
        <div>
          <label for="filter-action">Action</label>
          <input id="filter-action" value={action} onInput={(e) => setAction(e.currentTarget.value)} />
        </div>
        <div>
          <label for="filter-actor">Actor id</label>
          <input id="filter-actor" value={actorId} onInput={(e) => setActorId(e.currentTarget.value)} />
        </div>
        <button type="submit">Filter</button>
        <button type="button" onClick={verify} disabled={records.length === 0 || verdict === 'checking'}>
          Verify
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div role="status" class="verdict">
        {verdict === 'checking' && 'Checking…'}
        {verdict && verdict !== 'checking' && verdict.ok && (
          <p class="ok">
            ✓ Verified in this browser: {verdict.checked} records, every hash and link holds; {verdict.proved}{' '}
            proved in the log's tree against signed checkpoints of size {verdict.treeSizes.join(', ')} (key{' '}
            {verdict.keyIds.join(', ')}
            {verdict.bundleKeys
              ? ', as the proof bundle carries it'
              : ', as published at /audit/signing-keys'}
            ).
          </p>
        )}
        {verdict && verdict !== 'checking' && !verdict.ok && (
          <p class="bad">
            ✗ {verdict.sequence === undefined ? 'Verification fails' : `Record ${verdict.sequence} fails`}:{' '}
            {verdict.reason}.
          </p>
        )}
      </div>
      <table>
        <caption class="visually-hidden">Audit records, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.sequence}>
              <td>{r.sequence}</td>
              <td>{String(r.occurredAt ?? r.appendedAt ?? '')}</td>
              <td>{r.pruned ? '(pruned)' : String(r.action ?? '')}</td>
              <td>{actorLabel(r.actor)}</td>
              <td>{String(r.outcome ?? '')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </PageFrame>
  );
}

function actorLabel(actor: unknown): string {
  if (!actor || typeof actor !== 'object') return '';
  const a = actor as { type?: string; id?: string };
  return [a.type, a.id].filter(Boolean).join(' ');
}
