export * from './crypto-client.ts';
export * from './crypto-service-error.ts';
export * from './envelope-encryptor.ts';
export * from './key-events-subscription.ts';
