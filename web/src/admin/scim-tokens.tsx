/**
 * SCIM 2.0 provisioning: bearer tokens for the organisation's identity provider. A new token
 * (`POST /api/v1/admin/scim/tokens`) is shown once, beside the SCIM base URL to give the provider;
 * auth keeps only its hash. The tokens are listed (`GET /api/v1/admin/scim/tokens`: each one's
 * prefix, when and by whom it was made, and its last use; never the token) and revoked from the
 * list (`DELETE .../tokens/:id`).
 */
import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api, currentSession } from '../session.ts';

type Token =
  paths['/api/v1/admin/scim/tokens']['get']['responses'][200]['content']['application/json']['tokens'][number];

export function ScimTokens() {
  const [tokens, setTokens] = useState<Token[]>([]);
  const [shown, setShown] = useState<{ id: string; token: string } | undefined>();
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const tenant = currentSession()?.tenant ?? '';
  const baseUrl = `${window.location.origin}/api/v1/tenants/${encodeURIComponent(tenant)}/scim/v2`;

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/admin/scim/tokens');
    if (data) setTokens(data.tokens);
    else setError(describeProblem(problem, 'The SCIM tokens could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async () => {
    const { data, error: problem } = await api.POST('/api/v1/admin/scim/tokens', {});
    if (!data) return setError(describeProblem(problem, 'The token could not be made.'));
    setError('');
    setShown({ id: data.id, token: data.token });
    setStatus('A new token is shown below, once: copy it into the identity provider now.');
    await load();
  };

  const revoke = async (token: Token) => {
    const { response, error: problem } = await api.DELETE('/api/v1/admin/scim/tokens/{tokenId}', {
      params: { path: { tokenId: token.id } },
    });
    if (response.status !== 204) return setError(describeProblem(problem, 'The token could not be revoked.'));
    setError('');
    if (shown?.id === token.id) setShown(undefined);
    setStatus(
      `Token ${token.prefix ?? token.id}… is revoked: the provider's calls with it are refused from now on.`,
    );
    await load();
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
      {tokens.length === 0 ? (
        <p>No SCIM tokens: no identity provider can provision people.</p>
      ) : (
        <table class="scim-tokens">
          <caption class="visually-hidden">SCIM tokens</caption>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Made</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoke</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-token={t.id}>
                <td>
                  <code>{t.prefix ? `${t.prefix}…` : t.id}</code>
                </td>
                <td>
                  {new Date(t.createdAt).toLocaleString()} by {t.createdBy}
                </td>
                <td class="last-used">{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : 'never'}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => void revoke(t)}
                    aria-label={`Revoke token ${t.prefix ?? t.id}`}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorText id="scim-error" text={error} />
      <p role="status">{status}</p>
    </div>
  );
}
