/** Changing the password: the current one and the new one twice. The server ends the other sessions. */
import { useState } from 'preact/hooks';
import { NewPasswordFields } from '../pages/new-password-fields.tsx';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

export function PasswordChange(props: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    if (next !== repeat) return setError('The two new passwords differ.');
    const { response, error: problem } = await api.POST('/api/v1/me/password', {
      body: { currentPassword: current, newPassword: next },
    });
    if (!response.ok) return setError(describeProblem(problem, 'The password could not be changed.'));
    setError('');
    setCurrent('');
    setNext('');
    setRepeat('');
    setDone(true);
    props.onChanged();
  };

  return (
    <form class="card" onSubmit={submit}>
      <label for="current-password">Current password</label>
      <input
        id="current-password"
        type="password"
        required
        autoComplete="current-password"
        value={current}
        onInput={(e) => setCurrent(e.currentTarget.value)}
      />
      <NewPasswordFields
        idPrefix="changed-password"
        label="New password"
        password={next}
        repeat={repeat}
        onPassword={setNext}
        onRepeat={setRepeat}
      />
      <ErrorText id="password-error" text={error} />
      <p role="status">{done ? 'Password changed. Your other sessions were ended.' : ''}</p>
      <button type="submit">Change password</button>
    </form>
  );
}
