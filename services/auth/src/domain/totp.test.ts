import { readFileSync } from 'node:fs';
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { checkTotp, currentTotp, newTotpSecret, TOTP_PERIOD_SECONDS, totpUri } from './totp.ts';

const seeds = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;

const vectors = readFileSync(new URL('./test-vectors/totp-rfc6238.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => /^\d/.test(line))
  .map((line) => line.trim().split(/\s+/) as [string, string, keyof typeof seeds]);

describe('TOTP known answers (RFC 6238 appendix B)', () => {
  it('has all eighteen', () => expect(vectors).toHaveLength(18));
  for (const [time, expected, mode] of vectors) {
    it(`${mode} at ${time}`, async () => {
      const code = await generate({
        secret: new TextEncoder().encode(seeds[mode]),
        algorithm: mode.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
        digits: 8,
        period: 30,
        epoch: Number(time),
      });
      expect(code).toBe(expected);
    });
  }
});

describe('checkTotp', () => {
  const secret = newTotpSecret();
  const now = 1_800_000_015;

  it('accepts the current code and reports its time step', async () => {
    const result = await checkTotp(secret, await currentTotp(secret, now), undefined, now);
    expect(result).toEqual({ valid: true, timeStep: Math.floor(now / TOTP_PERIOD_SECONDS) });
  });

  it('tolerates one step of drift and no more', async () => {
    const previous = await currentTotp(secret, now - 30);
    const old = await currentTotp(secret, now - 90);
    expect((await checkTotp(secret, previous, undefined, now)).valid).toBe(true);
    expect((await checkTotp(secret, old, undefined, now)).valid).toBe(false);
  });

  it('refuses a replay: the accepted step and earlier steps', async () => {
    const step = Math.floor(now / TOTP_PERIOD_SECONDS);
    expect((await checkTotp(secret, await currentTotp(secret, now), step, now)).valid).toBe(false);
    expect((await checkTotp(secret, await currentTotp(secret, now - 30), step, now)).valid).toBe(false);
    expect((await checkTotp(secret, await currentTotp(secret, now + 30), step, now)).valid).toBe(true);
  });

  it('answers malformed codes as invalid and builds an otpauth URI', async () => {
    expect((await checkTotp(secret, 'abcdef', undefined, now)).valid).toBe(false);
    expect(totpUri(secret, 'Parley acme', 'a@example.com')).toMatch(/^otpauth:\/\/totp\/.*secret=/);
  });
});
