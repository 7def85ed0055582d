export { ServiceProblemError, ServiceUnavailableError } from '@parley/service-http';
export * from './media-client.ts';
