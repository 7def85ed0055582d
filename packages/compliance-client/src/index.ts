export * from './audit-recorder.ts';
export * from './compliance-http.ts';
export * from './gdpr-client.ts';
export * from './gdpr-participant.ts';
export * from './seal-personal-fields.ts';
export * from './spill-file.ts';
export * from './topic-pattern-consumer.ts';
