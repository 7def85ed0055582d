import { describe, expect, it } from 'vitest';
import { assertAcceptablePassword } from './password-policy.ts';

const context = { email: 'Alice.Smith@example.com', tenant: 'acme-corp' };

describe('password policy', () => {
  it('accepts a long passphrase', () => {
    expect(() => assertAcceptablePassword('correct horse battery staple', context)).not.toThrow();
  });

  it('refuses passwords built on the account or the organisation, or of few characters', () => {
    expect(() => assertAcceptablePassword('alice.smith2024!!', context)).toThrow(/e-mail/);
    expect(() => assertAcceptablePassword('ACME-CORP-rocks-2024', context)).toThrow(/organisation/);
    expect(() => assertAcceptablePassword('aaaaaaaaaaaabbbb', context)).toThrow(/few characters/);
  });
});
