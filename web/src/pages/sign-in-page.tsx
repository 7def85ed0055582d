/** Sign in: password first; when the account has MFA, then its TOTP code (or a recovery code). */
import { useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { navigate } from '../router.ts';
import { anonymousApi, saveSession } from '../session.ts';

const LAST_TENANT = 'parley.tenant';

interface Challenge {
  tenant: string;
  challenge: string;
}

export function SignInPage(props: { tenant?: string | null }) {
  const [tenant, setTenant] = useState(props.tenant ?? localStorage.getItem(LAST_TENANT) ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [challenge, setChallenge] = useState<Challenge | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const signedIn = (t: string, pair: { accessToken: string; refreshToken: string; sessionId: string }) => {
    localStorage.setItem(LAST_TENANT, t);
    saveSession({
      tenant: t,
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      sessionId: pair.sessionId,
    });
    navigate('chat');
  };

  const submitPassword = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const t = tenant.trim().toLowerCase();
      const { data, error: problem } = await anonymousApi.POST('/api/v1/tenants/{tenant}/login', {
        params: { path: { tenant: t } },
        body: { email: email.trim(), password },
      });
      if (!data) setError(describeProblem(problem, 'Sign-in failed.'));
      else if ('mfaRequired' in data) setChallenge({ tenant: t, challenge: data.challenge });
      else signedIn(t, data);
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (event: Event) => {
    event.preventDefault();
    if (!challenge) return;
    setBusy(true);
    setError('');
    try {
      const answer = code.trim().toLowerCase();
      const { data, error: problem } = await anonymousApi.POST('/api/v1/tenants/{tenant}/login/mfa', {
        params: { path: { tenant: challenge.tenant } },
        body: useRecovery
          ? { challenge: challenge.challenge, recoveryCode: answer }
          : { challenge: challenge.challenge, code: answer.replace(/\s/g, '') },
      });
      if (data) signedIn(challenge.tenant, data);
      else setError(mfaMessage(problem));
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <h1>Sign in to Parley</h1>
      {!challenge ? (
        <form onSubmit={submitPassword} class="card" aria-describedby={error ? 'sign-in-error' : undefined}>
          <label for="tenant">Organisation</label>
          <input
            id="tenant"
            name="tenant"
            required
            autoComplete="organization"
            value={tenant}
            onInput={(e) => setTenant(e.currentTarget.value)}
          />
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            required
            autoComplete="username"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            required
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <ErrorText id="sign-in-error" text={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      ) : (
        <form onSubmit={submitCode} class="card" aria-describedby={error ? 'sign-in-error' : undefined}>
          <p>Your account is protected by two-step verification.</p>
          <label for="code">{useRecovery ? 'Recovery code' : 'Code from your authenticator app'}</label>
          {/* Keyed: without a key Preact reuses the one <input> and clears `pattern` by setting it to
              "", which leaves pattern="" on the element; a recovery code then never matches it and
              the browser's own validation silently blocks the submit (no request, no error). */}
          {useRecovery ? (
            <input
              key="recovery"
              id="code"
              name="code"
              required
              autoComplete="off"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          ) : (
            <input
              key="totp"
              id="code"
              name="code"
              required
              inputMode="numeric"
              pattern="[0-9 ]{6,7}"
              autoComplete="one-time-code"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          )}
          <ErrorText id="sign-in-error" text={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Verify'}
          </button>
          <button
            type="button"
            class="link"
            onClick={() => {
              setUseRecovery(!useRecovery);
              setCode('');
              setError('');
            }}
          >
            {useRecovery ? 'Use a code from the app instead' : 'Use a recovery code instead'}
          </button>
        </form>
      )}
      {!challenge && (
        <p>
          <a href={`#/sign-up${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`}>Create an account</a>{' '}
          (where your organisation allows it)
        </p>
      )}
    </main>
  );
}

function mfaMessage(problem: unknown): string {
  const status = (problem as { status?: number } | undefined)?.status;
  if (status === 401 || status === 400)
    return 'That code is not valid. Check your authenticator app and try again.';
  return describeProblem(problem, 'Verification failed.');
}

export function ErrorText(props: { id: string; text: string }) {
  return (
    <p id={props.id} class="error" role="alert">
      {props.text}
    </p>
  );
}
