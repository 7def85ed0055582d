export * from './ciphertext-format.ts';
export * from './envelope.ts';
export * from './errors.ts';
export * from './key-names.ts';
export { KEYS_COLLECTION, type KeyRecord, type KeyState } from './key-store.ts';
export * from './keyring.ts';
export * from './master-keyring.ts';
export * from './settings.ts';
export { DEFAULT_USAGE_BLOCK, DEFAULT_USAGE_CEILING } from './usage-meter.ts';
