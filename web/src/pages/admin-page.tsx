/**
 * The tenant admin's page: invite people, change roles, suspend and reactivate, end a person's
 * sessions, open or close sign-up, set single sign-on (OpenID Connect) and make or revoke SCIM
 * provisioning tokens. What the gateway does not expose yet is named on the page
 * (quotas and usage, one person's session list, pending invitations).
 */
import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { InviteForm } from '../admin/invite-form.tsx';
import { ScimTokens } from '../admin/scim-tokens.tsx';
import { SsoSettings } from '../admin/sso-settings.tsx';
import { UserTable } from '../admin/user-table.tsx';
import { RetentionOverview } from '../compliance/retention-overview.tsx';
import { isAdmin, useMe } from '../me.ts';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';
import { PageFrame } from './page-frame.tsx';

type User =
  paths['/api/v1/admin/users']['get']['responses'][200]['content']['application/json']['users'][number];

export function AdminPage() {
  const [me] = useMe();
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState('');
  const [signUp, setSignUp] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/admin/users');
    if (data) setUsers(data.users);
    else setError(describeProblem(problem, 'The users could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const setOpenSignUp = async (openSignUp: boolean) => {
    const { data, error: problem } = await api.PUT('/api/v1/admin/settings', { body: { openSignUp } });
    setSignUp(
      data
        ? data.openSignUp
          ? 'Sign-up is open: anyone can ask for an account with a link mailed to them.'
          : 'Sign-up is closed: people join by invitation only.'
        : describeProblem(problem, 'The setting could not be changed.'),
    );
  };

  if (me && !isAdmin(me)) {
    return (
      <PageFrame title="Admin" current="admin">
        <p>This page is for the organisation's admins.</p>
      </PageFrame>
    );
  }
  return (
    <PageFrame title="Admin" current="admin">
      <p class="error" role="alert">
        {error}
      </p>
      <section aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <InviteForm onInvited={load} />
      </section>
      <section aria-labelledby="users-title">
        <h2 id="users-title">People</h2>
        <UserTable users={users} me={me?.id ?? ''} onChanged={load} />
      </section>
      <section aria-labelledby="sign-up-title">
        <h2 id="sign-up-title">Sign-up</h2>
        <p>
          <button type="button" onClick={() => setOpenSignUp(true)}>
            Open sign-up
          </button>{' '}
          <button type="button" onClick={() => setOpenSignUp(false)}>
            Close sign-up
          </button>
        </p>
        <p role="status">{signUp}</p>
      </section>
      <section aria-labelledby="sso-title">
        <h2 id="sso-title">Single sign-on</h2>
        <SsoSettings />
      </section>
      <section aria-labelledby="scim-title">
        <h2 id="scim-title">SCIM provisioning</h2>
        <ScimTokens />
      </section>
      <section aria-labelledby="retention-title">
        <h2 id="retention-title">Retention</h2>
        <RetentionOverview />
      </section>
      <section aria-labelledby="missing-title">
        <h2 id="missing-title">Not here yet</h2>
        <p class="hint">
          The API does not yet offer the organisation's quotas and usage, the list of one person's sessions
          (only ending them all), the list of pending invitations, or reading whether sign-up is open.
        </p>
      </section>
    </PageFrame>
  );
}
