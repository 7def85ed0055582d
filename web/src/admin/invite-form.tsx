/**
 * Inviting a person with roles. The invitation's link is shown to copy: the notifier that mails
 * it is not built yet, and until it is an admin hands the link over themselves.
 */
import { useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api, currentSession } from '../session.ts';
import { type Role, RoleChoices } from './role-choices.tsx';

export function InviteForm(props: { onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<Role[]>(['member']);
  const [error, setError] = useState('');
  const [answer, setAnswer] = useState<{ email: string; state: string; link?: string } | undefined>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setAnswer(undefined);
    const { data, error: problem } = await api.POST('/api/v1/admin/invitations', {
      body: { email: email.trim(), roles },
    });
    if (!data) return setError(describeProblem(problem, 'The invitation could not be made.'));
    setError('');
    setEmail('');
    const tenant = currentSession()?.tenant ?? '';
    const link = data.token
      ? `${window.location.origin}/#/invitation?tenant=${encodeURIComponent(tenant)}&token=${encodeURIComponent(data.token)}`
      : undefined;
    setAnswer({ email: data.email, state: data.state, ...(link ? { link } : {}) });
    props.onInvited();
  };

  return (
    <form class="card" onSubmit={submit}>
      <label for="invite-email">Email</label>
      <input
        id="invite-email"
        type="email"
        required
        value={email}
        onInput={(e) => setEmail(e.currentTarget.value)}
      />
      <RoleChoices idPrefix="invite" legend="Roles" value={roles} onChange={setRoles} />
      <ErrorText id="invite-error" text={error} />
      <button type="submit" disabled={roles.length === 0}>
        Invite
      </button>
      <div role="status">
        {answer &&
          (answer.state === 'accepted' ? (
            <p>{answer.email} is already a member.</p>
          ) : (
            <p>
              {answer.email} is invited.{' '}
              {answer.link && (
                <>
                  Their link (until mail is set up, send it yourself):{' '}
                  <input class="invitation-link" readOnly aria-label="Invitation link" value={answer.link} />
                </>
              )}
            </p>
          ))}
      </div>
    </form>
  );
}
