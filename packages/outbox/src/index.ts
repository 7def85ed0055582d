export * from './inbox.ts';
export * from './outbox-fields.ts';
export * from './outbox-relay.ts';
