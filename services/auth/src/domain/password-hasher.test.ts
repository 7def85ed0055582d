import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveArgon2id, formatPhc, OWASP_MINIMUM, PasswordHasher, parsePhc } from './password-hasher.ts';

/** Reads the NIST-loader style file: blocks of `key = hex` lines. */
function loadVectors(): Record<string, string>[] {
  const text = readFileSync(new URL('./test-vectors/argon2id-rfc9106.txt', import.meta.url), 'utf8');
  return text
    .split(/\n\s*\n/)
    .map((block) =>
      Object.fromEntries(
        block
          .split('\n')
          .filter((line) => /^[a-z]+ =/.test(line))
          .map((line) => line.split(' = ').map((part) => part.trim()) as [string, string]),
      ),
    )
    .filter((vector) => vector.output);
}

describe('argon2id known answers (RFC 9106, cryptography-vectors)', () => {
  const vectors = loadVectors();
  it('has the vectors', () => expect(vectors.length).toBe(4));
  for (const vector of vectors) {
    it(`m=${vector.memcost} t=${vector.iter} p=${vector.lanes} ${vector.secret ? 'with secret and ad' : ''}`, async () => {
      const hex = (key: string) => Buffer.from(vector[key] ?? '', 'hex');
      const output = await deriveArgon2id(
        hex('pass'),
        hex('salt'),
        { memoryKiB: Number(vector.memcost), passes: Number(vector.iter), parallelism: Number(vector.lanes) },
        Number(vector.length),
        {
          ...(vector.secret ? { secret: hex('secret') } : {}),
          ...(vector.ad ? { associatedData: hex('ad') } : {}),
        },
      );
      expect(output.toString('hex')).toBe(vector.output);
    });
  }
});

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('stores a standard PHC string at the default parameters (46 MiB, 2 passes) and verifies it', async () => {
    const phc = await hasher.hash('correct horse battery staple');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=47104,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify(phc, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(phc, 'correct horse battery stapler')).toBe(false);
    expect(hasher.needsRehash(phc)).toBe(false);
  });

  it('verifies a PHC string another implementation made (reference CLI vector, COUNT 4)', async () => {
    // argon2 CLI: echo -n password | argon2 pycasalt -id -t 4 -k 50 -p 4 -l 8 -> e469b777841e543f
    const phc = formatPhc({
      parameters: { memoryKiB: 50, passes: 4, parallelism: 4 },
      salt: Buffer.from('pycasalt'),
      hash: Buffer.from('e469b777841e543f', 'hex'),
    });
    expect(phc).toBe('$argon2id$v=19$m=50,t=4,p=4$cHljYXNhbHQ$5Gm3d4QeVD8');
    // An 8-byte tag is too short to accept as a password hash, even though it parses.
    expect(await hasher.verify(phc, 'password')).toBe(false);
    expect(parsePhc(phc)?.parameters).toEqual({ memoryKiB: 50, passes: 4, parallelism: 4 });
    expect(hasher.needsRehash(phc)).toBe(true);
  });

  it('flags hashes made with weaker parameters and refuses weak configuration', async () => {
    const stronger = new PasswordHasher({ ...OWASP_MINIMUM, passes: 3 });
    const phc = await hasher.hash('an older password hash');
    expect(stronger.needsRehash(phc)).toBe(true);
    expect(await stronger.verify(phc, 'an older password hash')).toBe(true);
    expect(() => new PasswordHasher({ memoryKiB: 4096, passes: 1, parallelism: 1 })).toThrow(/OWASP/);
    // OWASP's 46 MiB × 1 pass is refused too: this service asks for 2 passes at least.
    expect(() => new PasswordHasher({ memoryKiB: 47_104, passes: 1, parallelism: 1 })).toThrow(/OWASP/);
    expect(new PasswordHasher(OWASP_MINIMUM).parameters).toEqual(OWASP_MINIMUM);
  });

  it('answers false for malformed stored hashes and for the decoy', async () => {
    expect(await hasher.verify('$2b$10$bcrypt-looking', 'x')).toBe(false);
    expect(await hasher.verifyDecoy('anything')).toBe(false);
  });
});

describe('hashing concurrency', () => {
  it('hands at most `concurrency` derivations to the thread pool; the rest wait their turn and all complete', async () => {
    const hasher = new PasswordHasher(OWASP_MINIMUM, { concurrency: 2 });
    const phc = await hasher.hash('correct horse battery staple');
    const verifications = Array.from({ length: 6 }, (_, i) =>
      hasher.verify(phc, i % 2 === 0 ? 'correct horse battery staple' : 'wrong horse battery staple'),
    );
    expect(hasher.load).toEqual({ running: 2, waiting: 4 });
    expect(await Promise.all(verifications)).toEqual([true, false, true, false, true, false]);
    expect(hasher.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a concurrency below one', () => {
    expect(() => new PasswordHasher(OWASP_MINIMUM, { concurrency: 0 })).toThrow(/concurrency/);
  });
});
