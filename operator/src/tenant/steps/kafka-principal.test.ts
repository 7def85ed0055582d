import { describe, expect, it } from 'vitest';
import { saltedPassword } from './kafka-principal.ts';

describe('saltedPassword', () => {
  it('is PBKDF2-HMAC-SHA-512 (a published test vector)', async () => {
    const salted = await saltedPassword('password', Buffer.from('salt'), 1);
    expect(salted.toString('hex')).toBe(
      '867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce',
    );
  });
});
