/**
 * Open sign-up, where the organisation allows it: a name, an address and a password; the server
 * mails a link (`/#/sign-up/verify?tenant=..&token=..`) and the account exists once it is opened.
 * The answer is the same whether the address already has an account (no enumeration), so the page
 * says only that a link is on its way.
 */
import { useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { navigate } from '../router.ts';
import { anonymousApi } from '../session.ts';
import { NewPasswordFields } from './new-password-fields.tsx';
import { ErrorText } from './sign-in-page.tsx';

export function SignUpPage(props: { tenant?: string | null }) {
  const [tenant, setTenant] = useState(props.tenant ?? '');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState('');
  const [sent, setSent] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== repeat) return setError('The two passwords differ.');
    setBusy(true);
    setError('');
    try {
      const { data, error: problem } = await anonymousApi.POST('/api/v1/tenants/{tenant}/sign-up', {
        params: { path: { tenant: tenant.trim().toLowerCase() } },
        body: { email: email.trim(), password, displayName: displayName.trim() },
      });
      if (data) setSent(email.trim());
      else setError(describeProblem(problem, 'Sign-up is not possible right now.'));
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  if (sent) {
    return (
      <main class="auth-page">
        <h1>Check your email</h1>
        <p class="card" role="status">
          We sent a link to <strong>{sent}</strong>. Open it to finish creating your account.
        </p>
      </main>
    );
  }
  return (
    <main class="auth-page">
      <h1>Create a Parley account</h1>
      <form onSubmit={submit} class="card">
        <label for="sign-up-tenant">Organisation</label>
        <input
          id="sign-up-tenant"
          required
          autoComplete="organization"
          value={tenant}
          onInput={(e) => setTenant(e.currentTarget.value)}
        />
        <label for="sign-up-name">Your name</label>
        <input
          id="sign-up-name"
          required
          maxLength={100}
          autoComplete="name"
          value={displayName}
          onInput={(e) => setDisplayName(e.currentTarget.value)}
        />
        <label for="sign-up-email">Email</label>
        <input
          id="sign-up-email"
          type="email"
          required
          autoComplete="email"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <NewPasswordFields
          idPrefix="sign-up-password"
          label="Password"
          hint
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
        />
        <ErrorText id="sign-up-error" text={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Create account'}
        </button>
      </form>
      <p>
        <a href={`#/sign-in${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`}>I have an account</a>
      </p>
    </main>
  );
}

/** The mailed link's page: one button (a link scanner's prefetch must not spend the token). */
export function VerifySignUpPage(props: { tenant: string; token: string }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const finish = async () => {
    setBusy(true);
    setError('');
    try {
      const { data, error: problem } = await anonymousApi.POST('/api/v1/tenants/{tenant}/sign-up/verify', {
        params: { path: { tenant: props.tenant } },
        body: { token: props.token },
      });
      if (data) navigate(`sign-in?tenant=${encodeURIComponent(props.tenant)}&welcome=1`);
      else setError(describeProblem(problem, 'This link cannot be used (any more).'));
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="auth-page">
      <h1>Finish creating your account</h1>
      <div class="card">
        <p>Your account in {props.tenant} is one step away.</p>
        <ErrorText id="verify-error" text={error} />
        <button type="button" onClick={finish} disabled={busy}>
          {busy ? 'Finishing…' : 'Finish sign-up'}
        </button>
      </div>
    </main>
  );
}
