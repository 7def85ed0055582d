import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptData, encryptData, MadminDecryptionError } from './madmin-encryption.ts';

/**
 * Vectors made by the Go reference with a fixed salt (32 × 0x01) and nonce (09 08 07 ... 02):
 * madmin-go v3.0.109's EncryptData body run on github.com/secure-io/sio-go v0.3.1 and
 * golang.org/x/crypto v0.37.0 argon2.IDKey from the Go module cache. The plaintext of length n
 * is bytes (i * 7) mod 256. Sizes cross the 16 KiB fragment boundary on purpose. The id 0x01 and
 * 0x02 vectors are the same body with sio-go's ChaCha20-Poly1305 and x/crypto's PBKDF2 key.
 */
const salt = Buffer.alloc(32, 1);
const nonce = Buffer.from([9, 8, 7, 6, 5, 4, 3, 2]);
const password = 'secret-password';
const plaintext = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) & 0xff));

const GO_17_BYTES =
  '01010101010101010101010101010101010101010101010101010101010101010009080706050403022fd0403ecc1ebe194a163e6becb4a84d01753fd7397c8c8e452ef286e8471ac763';
const GO_FIPS_17_BYTES =
  '0101010101010101010101010101010101010101010101010101010101010101020908070605040302971d76fa5658d79773d0db8e5d5d3e4e3cea3fe1b4bfd75f21640b48e7e6001e77';
const GO_VECTORS: { n: number; length: number; lastTag: string }[] = [
  { n: 0, length: 57, lastTag: '880b2567730e0dee21b74b4fa518d98a' },
  { n: 17, length: 74, lastTag: '753fd7397c8c8e452ef286e8471ac763' },
  { n: 16384, length: 16441, lastTag: '17ab5eabac370b1a0f7b2b791318860b' },
  { n: 16385, length: 16458, lastTag: 'e9d60161dbf70621a89808815894c05c' },
  { n: 40000, length: 40089, lastTag: '30c6b9bbcc10cccb22830639a562ab4d' },
];

describe('madmin EncryptData format', () => {
  it('derives the same Argon2id key as golang.org/x/crypto (through the exact Go ciphertext)', async () => {
    const ours = await encryptData(password, plaintext(17), { salt, nonce });
    expect(ours.toString('hex')).toBe(GO_17_BYTES);
  });

  it('cuts fragments where sio-go does (lengths and final tags match Go across 16 KiB boundaries)', async () => {
    for (const v of GO_VECTORS) {
      const ours = await encryptData(password, plaintext(v.n), { salt, nonce });
      expect({ n: v.n, length: ours.length, lastTag: ours.subarray(-16).toString('hex') }).toEqual(v);
    }
  });

  it('decrypts what it encrypts, at every size around the fragment boundary', async () => {
    for (const n of [0, 1, 16383, 16384, 16385, 32768, 40000]) {
      const data = plaintext(n);
      const back = await decryptData(password, await encryptData(password, data));
      expect(createHash('sha256').update(back).digest('hex')).toBe(
        createHash('sha256').update(data).digest('hex'),
      );
    }
  });

  it('encrypts with PBKDF2 (id 0x02, FIPS mode) exactly as Go does', async () => {
    const ours = await encryptData(password, plaintext(17), { salt, nonce, kdf: 'pbkdf2' });
    expect(ours.toString('hex')).toBe(GO_FIPS_17_BYTES);
  });

  it('decrypts the Go ciphertext', async () => {
    const back = await decryptData(password, Buffer.from(GO_17_BYTES, 'hex'));
    expect(back.equals(plaintext(17))).toBe(true);
  });

  it('decrypts what servers without AES instructions (ChaCha20-Poly1305) and FIPS builds (PBKDF2) send', async () => {
    const chacha =
      '0101010101010101010101010101010101010101010101010101010101010101010908070605040302f38af56ddf6734ab55a7d87714f5bfe9203efb859196546f7692b67fc58284eceb';
    expect((await decryptData(password, Buffer.from(chacha, 'hex'))).equals(plaintext(17))).toBe(true);
    expect((await decryptData(password, Buffer.from(GO_FIPS_17_BYTES, 'hex'))).equals(plaintext(17))).toBe(
      true,
    );
  });

  it('refuses a wrong password, a flipped byte, a dropped fragment and an unknown algorithm', async () => {
    const sealed = await encryptData(password, plaintext(20_000), { salt, nonce });
    await expect(decryptData('other-password', sealed)).rejects.toBeInstanceOf(MadminDecryptionError);
    const flipped = Buffer.from(sealed);
    flipped[100] = (flipped[100] ?? 0) ^ 1;
    await expect(decryptData(password, flipped)).rejects.toBeInstanceOf(MadminDecryptionError);
    // Only the first (non-final) fragment: its flag says "more follows", so it is not a message.
    const truncated = sealed.subarray(0, 41 + 16384 + 16);
    await expect(decryptData(password, truncated)).rejects.toBeInstanceOf(MadminDecryptionError);
    const unknown = Buffer.from(sealed);
    unknown[32] = 7;
    await expect(decryptData(password, unknown)).rejects.toThrow(/unknown encryption algorithm/);
  });
});
