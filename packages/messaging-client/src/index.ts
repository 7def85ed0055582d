export * from './messaging-client.ts';
export * from './messaging-http.ts';
