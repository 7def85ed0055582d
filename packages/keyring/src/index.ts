// The ciphertext format (sealed boxes, their AAD, wrapped data keys, envelopes) is
// @parley/envelope's; re-exported so a keyring user has one import.
export {
  type CiphertextKeyVersion,
  ciphertextKeyVersion,
  contextAad,
  decodeKeyedHeader,
  EnvelopeSealer,
  encodeKeyedHeader,
  FORMAT_VERSION,
  type KeyedHeader,
  type KeyedKind,
  KIND_DATA_KEY,
  KIND_ENVELOPE,
  KIND_SEALED,
  kindOf,
  openEnvelope,
  type ParsedEnvelope,
  parseEnvelope,
  replaceWrappedDataKey,
} from '@parley/envelope';
export * from './destruction-holds.ts';
export * from './errors.ts';
export * from './key-encryption-key-server.ts';
export * from './key-encryption-keys.ts';
export * from './key-names.ts';
export { KEYS_COLLECTION, type KeyRecord, type KeyState } from './key-store.ts';
export * from './keyring.ts';
export * from './master-keyring.ts';
export * from './service-connections.ts';
export * from './service-keyring.ts';
export * from './settings.ts';
export * from './stored-rewrap/rewrap-progress.ts';
export * from './stored-rewrap/stored-ciphertext-rewrap.ts';
export { DEFAULT_USAGE_BLOCK, DEFAULT_USAGE_CEILING } from './usage-meter.ts';
