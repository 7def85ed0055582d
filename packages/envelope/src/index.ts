// sealWithNonce stays out: a nonce chosen by a caller is how GCM gets broken (NIST tests only).
export { type AesKey, KEY_BYTES, NONCE_BYTES, open, seal, TAG_BYTES } from './aes-gcm.ts';
export * from './ciphertext-format.ts';
export * from './ciphertext-key-version.ts';
export * from './envelope.ts';
export * from './errors.ts';
