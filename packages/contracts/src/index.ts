export * from './event-envelope.ts';
export * from './events/audit.ts';
export * from './events/tenant.ts';
export * from './events/auth.ts';
export * from './http/auth.ts';
export * from './events/crypto.ts';
export * from './http/crypto.ts';
export * from './events/gdpr.ts';
