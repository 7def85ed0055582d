export * from './event-envelope.ts';
