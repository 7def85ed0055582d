export { ServiceProblemError, ServiceUnavailableError } from '@parley/service-http';
export * from './search-client.ts';
