/**
 * The organisation's single sign-on (OpenID Connect): the provider now set (`GET
 * /api/v1/admin/sso/oidc`; never its client secret), a form that sets or replaces it (`PUT`: auth
 * reads the issuer's discovery document first, so an issuer that does not answer is refused with
 * its reason), and removing it (`DELETE`; people keep their accounts). The secret is write-only:
 * the field is always empty, and a change of anything needs it again.
 */
import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

type Provider = paths['/api/v1/admin/sso/oidc']['get']['responses'][200]['content']['application/json'];

const lines = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function SsoSettings() {
  const [current, setCurrent] = useState<Provider | null | undefined>();
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [redirects, setRedirects] = useState('');
  const [domains, setDomains] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);

  const show = (provider: Provider | null) => {
    setCurrent(provider);
    setIssuer(provider?.issuer ?? '');
    setClientId(provider?.clientId ?? '');
    setRedirects(provider?.redirectUris.join('\n') ?? `${window.location.origin}/sso/callback`);
    setDomains(provider?.allowedEmailDomains.join('\n') ?? '');
    setSecret('');
  };

  useEffect(() => {
    void api.GET('/api/v1/admin/sso/oidc').then(
      ({ data, response }) => {
        if (data) show(data);
        else if (response.status === 404) show(null);
        else setError('The single sign-on settings could not be read.');
      },
      () => setError('The single sign-on settings could not be read.'),
    );
  }, []);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setStatus('');
    try {
      const { data, error: problem } = await api.PUT('/api/v1/admin/sso/oidc', {
        body: {
          issuer: issuer.trim(),
          clientId: clientId.trim(),
          clientSecret: secret,
          redirectUris: lines(redirects),
          allowedEmailDomains: lines(domains),
        },
      });
      if (!data) return setError(describeProblem(problem, 'The provider could not be set.'));
      setError('');
      show(data);
      setStatus(`Single sign-on through ${data.issuer} is set.`);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const { response, error: problem } = await api.DELETE('/api/v1/admin/sso/oidc');
    if (response.status !== 204)
      return setError(describeProblem(problem, 'The provider could not be removed.'));
    setError('');
    show(null);
    setStatus('Single sign-on is off: people sign in with their passwords.');
  };

  return (
    <form class="card sso" onSubmit={save} aria-describedby="sso-now">
      <p id="sso-now">
        {current === undefined
          ? 'Reading the settings…'
          : current
            ? `Now: ${current.issuer} (client ${current.clientId}), set ${new Date(current.updatedAt).toLocaleString()}.`
            : 'No single sign-on provider is set.'}
      </p>
      <label for="sso-issuer">Issuer URL</label>
      <input
        id="sso-issuer"
        type="url"
        required
        value={issuer}
        onInput={(e) => setIssuer(e.currentTarget.value)}
      />
      <label for="sso-client-id">Client ID</label>
      <input
        id="sso-client-id"
        required
        value={clientId}
        onInput={(e) => setClientId(e.currentTarget.value)}
      />
      <label for="sso-secret">Client secret</label>
      <input
        id="sso-secret"
        type="password"
        required
        autoComplete="off"
        aria-describedby="sso-secret-hint"
        value={secret}
        onInput={(e) => setSecret(e.currentTarget.value)}
      />
      <p id="sso-secret-hint" class="hint">
        Never shown again once saved (it is kept sealed); give it with every change.
      </p>
      <label for="sso-redirects">Redirect URIs</label>
      <textarea
        id="sso-redirects"
        required
        rows={2}
        aria-describedby="sso-list-hint"
        value={redirects}
        onInput={(e) => setRedirects(e.currentTarget.value)}
      />
      <label for="sso-domains">Allowed email domains</label>
      <textarea
        id="sso-domains"
        required
        rows={2}
        aria-describedby="sso-list-hint"
        value={domains}
        onInput={(e) => setDomains(e.currentTarget.value)}
      />
      <p id="sso-list-hint" class="hint">
        One a line (or separated by commas).
      </p>
      <ErrorText id="sso-error" text={error} />
      <p>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking the issuer…' : 'Save single sign-on'}
        </button>{' '}
        {current && (
          <button type="button" onClick={() => void remove()}>
            Remove single sign-on
          </button>
        )}
      </p>
      <p role="status">{status}</p>
    </form>
  );
}
