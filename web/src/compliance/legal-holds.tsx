/** Legal holds: place one (on the organisation, a person or a conversation), see what each covers, lift it. */
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

type Scope =
  | { kind: 'tenant' }
  | { kind: 'person'; userId: string }
  | { kind: 'conversation'; conversationId: string };
interface Hold {
  id: string;
  scope: unknown;
  reason: string;
  setBy: string;
  setAt: string;
  liftedAt?: string;
  liftedBy?: string;
  liftReason?: string;
}

export function coverage(scope: unknown): string {
  const s = scope as Partial<{ kind: string; userId: string; conversationId: string }>;
  if (s.kind === 'tenant') return 'Everything in the organisation';
  if (s.kind === 'person') return `Everything of person ${s.userId}`;
  if (s.kind === 'conversation') return `Conversation ${s.conversationId}`;
  return JSON.stringify(scope);
}

export function LegalHolds() {
  const [holds, setHolds] = useState<Hold[]>([]);
  const [includeLifted, setIncludeLifted] = useState(false);
  const [kind, setKind] = useState<Scope['kind']>('person');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/admin/legal-holds', {
      params: { query: { includeLifted } },
    });
    if (data) setHolds(data.holds as Hold[]);
    else setError(describeProblem(problem, 'The legal holds could not be read.'));
  };
  useEffect(() => {
    void load();
  }, [includeLifted]);

  const place = async (event: Event) => {
    event.preventDefault();
    const scope: Scope =
      kind === 'tenant'
        ? { kind }
        : kind === 'person'
          ? { kind, userId: target.trim() }
          : { kind, conversationId: target.trim() };
    const { data, error: problem } = await api.POST('/api/v1/admin/legal-holds', {
      body: { scope, reason: reason.trim() },
    });
    if (!data) return setError(describeProblem(problem, 'The hold could not be placed.'));
    setError('');
    setReason('');
    setTarget('');
    setNotice(
      `Hold placed: ${coverage(data.hold.scope)}.${data.destructionsCancelled.length > 0 ? ` ${data.destructionsCancelled.length} pending erasures were stopped.` : ''}`,
    );
    await load();
  };

  const lift = async (hold: Hold, why: string) => {
    const { data, error: problem } = await api.POST('/api/v1/admin/legal-holds/{holdId}/lift', {
      params: { path: { holdId: hold.id } },
      body: { reason: why },
    });
    if (!data) return setError(describeProblem(problem, 'The hold could not be lifted.'));
    setNotice(
      `Hold lifted.${data.resumedJobs.length > 0 ? ` ${data.resumedJobs.length} blocked erasures resume.` : ''}`,
    );
    await load();
  };

  return (
    <>
      <form class="card" onSubmit={place}>
        <label for="hold-kind">Hold on</label>
        <select id="hold-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Scope['kind'])}>
          <option value="person">A person</option>
          <option value="conversation">A conversation</option>
          <option value="tenant">The whole organisation</option>
        </select>
        {kind !== 'tenant' && (
          <>
            <label for="hold-target">{kind === 'person' ? 'User id' : 'Conversation id'}</label>
            <input
              id="hold-target"
              required
              value={target}
              onInput={(e) => setTarget(e.currentTarget.value)}
            />
          </>
        )}
        <label for="hold-reason">Reason (matter, case number)</label>
        <input
          id="hold-reason"
          required
          maxLength={2000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <ErrorText id="hold-error" text={error} />
        <button type="submit">Place hold</button>
      </form>
      <p role="status">{notice}</p>
      <p>
        <input
          id="holds-lifted"
          type="checkbox"
          checked={includeLifted}
          onChange={(e) => setIncludeLifted(e.currentTarget.checked)}
        />{' '}
        <label for="holds-lifted" class="inline">
          Show lifted holds too
        </label>
      </p>
      <table class="holds">
        <caption class="visually-hidden">Legal holds</caption>
        <thead>
          <tr>
            <th scope="col">Covers</th>
            <th scope="col">Reason</th>
            <th scope="col">Placed</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {holds.map((h) => (
            <HoldRow key={h.id} hold={h} onLift={(why) => void lift(h, why)} />
          ))}
        </tbody>
      </table>
    </>
  );
}

function HoldRow(props: { hold: Hold; onLift: (reason: string) => void }) {
  const h = props.hold;
  const [why, setWhy] = useState('');
  return (
    <tr data-hold={h.id}>
      <td>{coverage(h.scope)}</td>
      <td>{h.reason}</td>
      <td>
        {new Date(h.setAt).toLocaleString()} by {h.setBy}
      </td>
      <td>
        {h.liftedAt ? (
          `Lifted ${new Date(h.liftedAt).toLocaleString()}: ${h.liftReason ?? ''}`
        ) : (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (why.trim()) props.onLift(why.trim());
            }}
          >
            <label for={`lift-${h.id}`} class="visually-hidden">
              Why the hold on {coverage(h.scope)} is lifted
            </label>
            <input
              id={`lift-${h.id}`}
              required
              placeholder="Why lift it"
              value={why}
              onInput={(e) => setWhy(e.currentTarget.value)}
            />
            <button type="submit">Lift</button>
          </form>
        )}
      </td>
    </tr>
  );
}
