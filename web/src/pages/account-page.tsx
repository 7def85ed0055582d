/** The person's account: two-step verification, where they are signed in, their password. */
import { GdprJobs } from '../account/gdpr-jobs.tsx';
import { PasswordChange } from '../account/password-change.tsx';
import { SessionList } from '../account/session-list.tsx';
import { TotpEnrolment } from '../account/totp-enrolment.tsx';
import { useMe } from '../me.ts';
import { PageFrame } from './page-frame.tsx';

export function AccountPage() {
  const [me, reload] = useMe();
  return (
    <PageFrame title="Your account" current="account">
      {me && (
        <p>
          {me.displayName} · {me.email}
        </p>
      )}
      <section aria-labelledby="mfa-title">
        <h2 id="mfa-title">Two-step verification</h2>
        {me && <TotpEnrolment enabled={me.mfaEnabled} onChanged={reload} />}
      </section>
      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Where you are signed in</h2>
        <SessionList />
      </section>
      <section aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <PasswordChange onChanged={reload} />
      </section>
      <section aria-labelledby="data-title">
        <h2 id="data-title">Your data</h2>
        <GdprJobs />
      </section>
    </PageFrame>
  );
}
