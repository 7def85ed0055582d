/**
 * TOTP (RFC 6238) through otplib: 160-bit secrets, SHA-1, 6 digits, 30 s steps, the defaults every
 * authenticator app reads from an otpauth URI. Verification accepts one step of clock drift
 * either way and reports the matched time step, which the caller stores so a code accepted once
 * is never accepted again (replay), including a code of an earlier step inside the drift window.
 */
import { generate, generateSecret, generateURI, verify } from 'otplib';

export const TOTP_PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, issuer: string, accountName: string): string {
  return generateURI({ issuer, label: accountName, secret });
}

export type TotpCheck = { valid: true; timeStep: number } | { valid: false };

/**
 * Checks a 6-digit code; `afterTimeStep` is the last step accepted for this secret, and a code for
 * that step or an earlier one is refused.
 */
export async function checkTotp(
  secret: string,
  code: string,
  afterTimeStep: number | undefined,
  nowSeconds = Date.now() / 1000,
): Promise<TotpCheck> {
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(nowSeconds),
      epochTolerance: TOTP_PERIOD_SECONDS,
      ...(afterTimeStep !== undefined ? { afterTimeStep } : {}),
    });
    return result.valid && 'timeStep' in result
      ? { valid: true, timeStep: result.timeStep }
      : { valid: false };
  } catch {
    // otplib throws for malformed input (wrong length, bad secret): the same answer as a wrong code.
    return { valid: false };
  }
}

/** The current code, for tests and tooling. */
export function currentTotp(secret: string, nowSeconds = Date.now() / 1000): Promise<string> {
  return generate({ secret, epoch: Math.floor(nowSeconds) });
}
