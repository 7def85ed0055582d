/**
 * The signed receipt of a GDPR export: which files the archive holds and their SHA-256, signed
 * with the compliance signing key (the key that signs audit checkpoints, published at
 * /v1/audit/signing-keys), so the person can show what Parley handed over and when. Here, beside
 * the checkpoints, so the offline verifier checks receipts too.
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { SigningKey } from '../checkpoint/signing-key.ts';

export const EXPORT_RECEIPT_FORMAT = 'parley-gdpr-export-receipt/v1';

export interface ExportReceipt {
  format: typeof EXPORT_RECEIPT_FORMAT;
  tenant: string;
  jobId: string;
  userId: string;
  completedAt: string;
  files: { name: string; sha256: string; bytes: number }[];
  keyId: string;
  /** base64 Ed25519 over the RFC 8785 JSON of every other field. */
  signature: string;
}

export type UnsignedReceipt = Omit<ExportReceipt, 'signature' | 'keyId' | 'format'>;

function receiptBytes(receipt: Omit<ExportReceipt, 'signature'>): Buffer {
  return Buffer.from(canonicalize(receipt) ?? '', 'utf8');
}

export function signReceipt(unsigned: UnsignedReceipt, key: SigningKey): ExportReceipt {
  const body = { format: EXPORT_RECEIPT_FORMAT, ...unsigned, keyId: key.keyId } as const;
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
