// Moved to the kit (the crypto client needs it too); re-exported so existing imports keep working.
export { TopicPatternConsumer, type TopicPatternConsumerOptions } from '@parley/kit';
export * from './audit-recorder.ts';
export * from './compliance-http.ts';
export * from './gdpr-client.ts';
export * from './gdpr-participant.ts';
export * from './gdpr-participation.ts';
export * from './seal-personal-fields.ts';
export * from './spill-file.ts';
