export * from './media-client.ts';
