export * from './event-envelope.ts';
export * from './events/audit.ts';
