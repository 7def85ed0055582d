/** Accept an invitation (its link carries tenant and token): choose a name and a password. */
import { useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { navigate } from '../router.ts';
import { anonymousApi } from '../session.ts';
import { NewPasswordFields } from './new-password-fields.tsx';
import { ErrorText } from './sign-in-page.tsx';

export function AcceptInvitationPage(props: { tenant: string; token: string }) {
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== repeat) return setError('The two passwords differ.');
    setBusy(true);
    setError('');
    try {
      const { data, error: problem } = await anonymousApi.POST(
        '/api/v1/tenants/{tenant}/invitations/accept',
        {
          params: { path: { tenant: props.tenant } },
          body: { token: props.token, password, displayName: displayName.trim() },
        },
      );
      if (data) navigate(`sign-in?tenant=${encodeURIComponent(props.tenant)}&welcome=1`);
      else setError(describeProblem(problem, 'The invitation could not be accepted.'));
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <h1>Join {props.tenant} on Parley</h1>
      <form onSubmit={submit} class="card">
        <label for="display-name">Your name</label>
        <input
          id="display-name"
          required
          maxLength={100}
          autoComplete="name"
          value={displayName}
          onInput={(e) => setDisplayName(e.currentTarget.value)}
        />
        <NewPasswordFields
          idPrefix="new-password"
          label="Password"
          hint
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
        />
        <ErrorText id="invitation-error" text={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Setting up…' : 'Set password and continue'}
        </button>
      </form>
    </main>
  );
}
