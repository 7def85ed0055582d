/**
 * The signed receipt of a GDPR export: which files the archive holds and their SHA-256, signed
 * with the compliance signing key (the key that signs audit checkpoints, published at
 * /v1/audit/signing-keys), so the person can show what Parley handed over and when.
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import type { SigningKey } from '@parley/audit-chain';
import canonicalize from 'canonicalize';
import type { ExportReceipt } from '../store/gdpr-collections.ts';

export type UnsignedReceipt = Omit<ExportReceipt, 'signature' | 'keyId' | 'format'>;

function receiptBytes(receipt: Omit<ExportReceipt, 'signature'>): Buffer {
  return Buffer.from(canonicalize(receipt) ?? '', 'utf8');
}

export function signReceipt(unsigned: UnsignedReceipt, key: SigningKey): ExportReceipt {
  const body = { format: 'parley-gdpr-export-receipt/v1' as const, ...unsigned, keyId: key.keyId };
  return { ...body, signature: sign(null, receiptBytes(body), key.privateKey).toString('base64') };
}

export function verifyReceipt(receipt: ExportReceipt, publicKey: KeyObject): boolean {
  const { signature, ...body } = receipt;
  try {
    return verify(null, receiptBytes(body), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
