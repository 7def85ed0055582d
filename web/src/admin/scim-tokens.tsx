/**
 * SCIM 2.0 provisioning: bearer tokens for the organisation's identity provider. A new token
 * (`POST /api/v1/admin/scim/tokens`) is shown once, beside the SCIM base URL to give the provider;
 * auth keeps only its hash. Revoking (`DELETE .../tokens/:id`) takes a token's id: the ones made on
 * this page are listed with a button, any other is revoked by its id (the API lists no tokens).
 */
import { useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api, currentSession } from '../session.ts';

interface Made {
  id: string;
  createdAt: string;
  revoked: boolean;
}

export function ScimTokens() {
  const [made, setMade] = useState<Made[]>([]);
  const [shown, setShown] = useState<{ id: string; token: string } | undefined>();
  const [otherId, setOtherId] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const tenant = currentSession()?.tenant ?? '';
  const baseUrl = `${window.location.origin}/api/v1/tenants/${encodeURIComponent(tenant)}/scim/v2`;

  const create = async () => {
    const { data, error: problem } = await api.POST('/api/v1/admin/scim/tokens', {});
    if (!data) return setError(describeProblem(problem, 'The token could not be made.'));
    setError('');
    setShown({ id: data.id, token: data.token });
    setMade((all) => [...all, { id: data.id, createdAt: data.createdAt, revoked: false }]);
    setStatus('A new token is shown below, once: copy it into the identity provider now.');
  };

  const revoke = async (id: string) => {
    const { response, error: problem } = await api.DELETE('/api/v1/admin/scim/tokens/{tokenId}', {
      params: { path: { tokenId: id } },
    });
    if (response.status !== 204) return setError(describeProblem(problem, 'The token could not be revoked.'));
    setError('');
    setMade((all) => all.map((t) => (t.id === id ? { ...t, revoked: true } : t)));
    if (shown?.id === id) setShown(undefined);
    setStatus(`Token ${id} is revoked: the provider's calls with it are refused from now on.`);
  };

  return (
    <div class="card scim">
      <p>
        SCIM base URL: <input class="scim-url" readOnly aria-label="SCIM base URL" value={baseUrl} />
      </p>
      <p>
        <button type="button" onClick={() => void create()}>
          New SCIM token
        </button>
      </p>
      {shown && (
        <p>
          <label for="scim-token">New token (shown once)</label>{' '}
          <input id="scim-token" class="scim-token" readOnly value={shown.token} />
        </p>
      )}
      {made.length > 0 && (
        <ul aria-label="Tokens made here">
          {made.map((t) => (
            <li key={t.id} data-token={t.id}>
              <code>{t.id}</code>, made {new Date(t.createdAt).toLocaleString()}
              {t.revoked ? (
                ', revoked'
              ) : (
                <>
                  {' '}
                  <button type="button" onClick={() => void revoke(t.id)} aria-label={`Revoke token ${t.id}`}>
                    Revoke
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (otherId.trim()) void revoke(otherId.trim()).then(() => setOtherId(''));
        }}
      >
        <label for="scim-revoke-id">Revoke another token by its id</label>
        <input id="scim-revoke-id" value={otherId} onInput={(e) => setOtherId(e.currentTarget.value)} />
        <button type="submit">Revoke</button>
      </form>
      <ErrorText id="scim-error" text={error} />
      <p role="status">{status}</p>
    </div>
  );
}
