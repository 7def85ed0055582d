// A new password and its repetition, as sign-up, accepting an invitation and changing the
// password ask for them: one place for auth's length rule (12–128) and the browser's
// new-password autofill hints.

export interface NewPasswordFieldsProps {
  /** Prefix of the inputs' ids, unique on the page. */
  idPrefix: string;
  /** "Password" or "New password"; the repetition's label follows it. */
  label: string;
  password: string;
  repeat: string;
  onPassword: (value: string) => void;
  onRepeat: (value: string) => void;
  /** Show the length rule under the field. */
  hint?: boolean;
}

export function NewPasswordFields(props: NewPasswordFieldsProps) {
  const hintId = `${props.idPrefix}-hint`;
  return (
    <>
      <label for={props.idPrefix}>{props.label}</label>
      <input
        id={props.idPrefix}
        type="password"
        required
        minLength={12}
        maxLength={128}
        autoComplete="new-password"
        aria-describedby={props.hint ? hintId : undefined}
        value={props.password}
        onInput={(e) => props.onPassword(e.currentTarget.value)}
      />
      {props.hint && (
        <p id={hintId} class="hint">
          At least 12 characters.
        </p>
      )}
      <label for={`${props.idPrefix}-repeat`}>Repeat the {props.label.toLowerCase()}</label>
      <input
        id={`${props.idPrefix}-repeat`}
        type="password"
        required
        autoComplete="new-password"
        value={props.repeat}
        onInput={(e) => props.onRepeat(e.currentTarget.value)}
      />
    </>
  );
}
