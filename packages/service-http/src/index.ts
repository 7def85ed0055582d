export * from './retry-safety.ts';
export * from './service-errors.ts';
export * from './service-http.ts';
