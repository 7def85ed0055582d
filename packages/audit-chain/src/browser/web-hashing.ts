/**
 * RFC 9162 hashing with Web Crypto (SHA-256, leaves prefixed 0x00, nodes 0x01), the same bytes
 * merkle/hashing.ts makes with node:crypto, for a verifier that runs in a browser (or any
 * runtime with globalThis.crypto.subtle, Node included).
 */

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

export function leafHash(data: Uint8Array): Promise<Uint8Array> {
  const bytes = new Uint8Array(data.length + 1);
  bytes.set(data, 1); // bytes[0] = 0x00
  return sha256(bytes);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const bytes = new Uint8Array(1 + left.length + right.length);
  bytes[0] = 0x01;
  bytes.set(left, 1);
  bytes.set(right, 1 + left.length);
  return sha256(bytes);
}

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new Error(`not a SHA-256 hash in lower-case hex: ${JSON.stringify(hex)}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The chain hash of a record: SHA-256 hex of its canonical text (record/record-body.ts). */
export async function sha256HexOfText(text: string): Promise<string> {
  return toHex(await sha256(new TextEncoder().encode(text)));
}
