/**
 * NIST CAVP known-answer tests for the keyring's AES-256-GCM (96-bit IV, 128-bit tag): every
 * encrypt vector must reproduce ciphertext and tag exactly; every decrypt vector must yield its
 * plaintext, and every one marked FAIL must be refused (DecryptionFailedError, no bytes).
 * Vectors: ../test-vectors/nist-aes-gcm/ (see the README there for their source).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NONCE_BYTES, open, sealWithNonce, TAG_BYTES } from './aes-gcm.ts';
import { DecryptionFailedError } from './errors.ts';

interface Vector {
  count: number;
  key: Buffer;
  iv: Buffer;
  pt?: Buffer;
  aad: Buffer;
  ct: Buffer;
  tag: Buffer;
  fail: boolean;
}

function parseRsp(file: string): Vector[] {
  const text = readFileSync(new URL(`../test-vectors/nist-aes-gcm/${file}`, import.meta.url), 'utf8');
  const vectors: Vector[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const fields = new Map<string, string>();
    let fail = false;
    for (const line of block.split(/\r?\n/)) {
      const match = /^(\w+) = ?(.*)$/.exec(line.trim());
      if (match?.[1] && match[2] !== undefined) fields.set(match[1], match[2]);
      if (line.trim() === 'FAIL') fail = true;
    }
    if (!fields.has('Count')) continue;
    const hex = (name: string) => Buffer.from(fields.get(name) ?? '', 'hex');
    vectors.push({
      count: Number(fields.get('Count')),
      key: hex('Key'),
      iv: hex('IV'),
      ...(fields.has('PT') ? { pt: hex('PT') } : {}),
      aad: hex('AAD'),
      ct: hex('CT'),
      tag: hex('Tag'),
      fail,
    });
  }
  return vectors;
}

const empty = Buffer.alloc(0);

describe('AES-256-GCM against NIST CAVP vectors', () => {
  const encryptVectors = parseRsp('gcmEncryptExtIV256.rsp');
  const decryptVectors = parseRsp('gcmDecrypt256.rsp');

  it('reads the committed subset completely', () => {
    expect(encryptVectors).toHaveLength(375);
    expect(decryptVectors).toHaveLength(375);
    expect(decryptVectors.filter((v) => v.fail)).toHaveLength(191);
    expect(encryptVectors.every((v) => v.iv.length === NONCE_BYTES && v.tag.length === TAG_BYTES)).toBe(true);
  });

  it('encrypt: reproduces every ciphertext and tag (gcmEncryptExtIV256)', () => {
    for (const v of encryptVectors) {
      const sealed = sealWithNonce(v.key, v.iv, v.pt ?? empty, v.aad, empty);
      expect(
        sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES).toString('hex'),
        `count ${v.count}`,
      ).toBe(v.ct.toString('hex'));
      expect(sealed.subarray(sealed.length - TAG_BYTES).toString('hex'), `count ${v.count}`).toBe(
        v.tag.toString('hex'),
      );
      expect(open(v.key, sealed, 0, v.aad)).toEqual(v.pt ?? empty);
    }
  });

  it('decrypt: opens every valid vector and refuses every FAIL vector (gcmDecrypt256)', () => {
    let refused = 0;
    for (const v of decryptVectors) {
      const sealed = Buffer.concat([v.iv, v.ct, v.tag]);
      if (v.fail) {
        expect(() => open(v.key, sealed, 0, v.aad), `count ${v.count}`).toThrow(DecryptionFailedError);
        refused++;
      } else {
        expect(open(v.key, sealed, 0, v.aad).toString('hex'), `count ${v.count}`).toBe(
          (v.pt ?? empty).toString('hex'),
        );
      }
    }
    expect(refused).toBe(191);
  });
});
