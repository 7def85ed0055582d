/**
 * Password policy after NIST SP 800-63B: length matters (12 to 128 characters, checked by the
 * body schema), composition rules do not; what is refused are passwords an attacker tries first
 * for this very account: ones built on the e-mail's name or the organisation's id, and ones of
 * one or two repeated characters. There is no breached-password list (none is shipped).
 */
import { ProblemError } from '@parley/kit';

const MIN_DISTINCT_CHARACTERS = 5;

export function assertAcceptablePassword(password: string, context: { email: string; tenant: string }): void {
  const lowered = password.toLowerCase();
  const localPart = context.email.split('@')[0]?.toLowerCase() ?? '';
  const reasons: string[] = [];
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) reasons.push('it repeats too few characters');
  if (localPart.length >= 4 && lowered.includes(localPart)) reasons.push('it contains the e-mail address');
  if (context.tenant.length >= 4 && lowered.includes(context.tenant.toLowerCase()))
    reasons.push("it contains the organisation's id");
  if (reasons.length > 0) {
    throw new ProblemError(
      400,
      'weak-password',
      'Password refused',
      `Choose another password: ${reasons.join('; ')}`,
    );
  }
}
