/**
 * Turning on two-step verification: the password again, then the secret as a QR code (and as text,
 * for manual entry), a first code from the app, then the recovery codes, shown once.
 * The QR code is drawn here (uqr, as SVG in an <img>, which the CSP's `img-src data:` allows):
 * the otpauth URI carries the secret and must never go to a third-party QR service.
 */
import { useState } from 'preact/hooks';
import { renderSVG } from 'uqr';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

type Step =
  | { at: 'password' }
  | { at: 'code'; secret: string; uri: string }
  | { at: 'codes'; codes: string[] };

export function TotpEnrolment(props: { enabled: boolean; onChanged: () => void }) {
  const [step, setStep] = useState<Step>({ at: 'password' });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await work();
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  const start = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { data, error: problem } = await api.POST('/api/v1/me/mfa/totp', { body: { password } });
      if (!data) return setError(describeProblem(problem, 'Two-step verification could not be started.'));
      setPassword('');
      setStep({ at: 'code', secret: data.secret, uri: data.otpauthUri });
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { data, error: problem } = await api.POST('/api/v1/me/mfa/totp/confirm', {
        body: { code: code.replace(/\s/g, '') },
      });
      if (!data) return setError(describeProblem(problem, 'That code is not valid. Try the next one.'));
      setCode('');
      setStep({ at: 'codes', codes: data.recoveryCodes });
      props.onChanged();
    });
  };

  if (step.at === 'codes') {
    return (
      <section class="card" aria-labelledby="codes-title">
        <h3 id="codes-title">Two-step verification is on</h3>
        <p>
          Save these recovery codes somewhere safe. Each signs you in once if you lose your phone. They are
          shown only now.
        </p>
        <ul class="recovery-codes" aria-label="Recovery codes">
          {step.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <a
          class="button"
          download="parley-recovery-codes.txt"
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(`${step.codes.join('\n')}\n`)}`}
        >
          Download the codes
        </a>
        <button type="button" onClick={() => setStep({ at: 'password' })}>
          I have saved them
        </button>
      </section>
    );
  }
  if (props.enabled) return <p>Two-step verification is on for your account.</p>;
  if (step.at === 'code') {
    const qr = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(step.uri))}`;
    return (
      <form class="card" onSubmit={confirm}>
        <p>Scan this code with your authenticator app, then enter the six digits it shows.</p>
        <img
          class="qr"
          src={qr}
          alt="QR code of your two-step verification secret"
          width={200}
          height={200}
        />
        <p>
          Or enter this secret by hand: <code class="secret">{step.secret}</code>
        </p>
        <label for="totp-code">Code from the app</label>
        <input
          id="totp-code"
          required
          inputMode="numeric"
          pattern="[0-9 ]{6,7}"
          autoComplete="one-time-code"
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <ErrorText id="totp-error" text={error} />
        <button type="submit" disabled={busy}>
          Turn on
        </button>
      </form>
    );
  }
  return (
    <form class="card" onSubmit={start}>
      <p>Two-step verification is off. Turn it on to ask for a code from your phone at each sign-in.</p>
      <label for="totp-password">Your password</label>
      <input
        id="totp-password"
        type="password"
        required
        autoComplete="current-password"
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <ErrorText id="totp-error" text={error} />
      <button type="submit" disabled={busy}>
        Set up two-step verification
      </button>
    </form>
  );
}
