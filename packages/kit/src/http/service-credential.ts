/**
 * The service credential as a Fastify plugin, registered once per app (createServiceApp's
 * `callers` option): it decorates the app with the callers it accepts (`app.serviceCallers`) and
 * `app.serviceCredential(options)`, the guard hook for routes other Parley services call.
 *
 *   guardScope(scope, scope.serviceCredential({ allow: ['operator'] }));
 *
 * (service-auth.ts has the comparison itself; `requireServiceCredential(callers)` remains for
 * code that holds the callers directly.)
 */
import type { FastifyInstance, FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { requireServiceCredential, ServiceCallers, type ServiceCredentialOptions } from './service-auth.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The callers this app accepts (SERVICE_TOKENS). */
    serviceCallers: ServiceCallers;
    /** The guard hook: a known caller's credential, or 401; a caller outside `allow`, 403. */
    serviceCredential(options?: ServiceCredentialOptions): onRequestHookHandler;
  }
}

export interface ServiceCredentialPluginOptions {
  /** SERVICE_TOKENS parsed, or one bare token (tests): one caller named `service` that passes every `allow`. */
  callers: ServiceCallers | string;
}

const plugin: FastifyPluginCallback<ServiceCredentialPluginOptions> = (
  app: FastifyInstance,
  options,
  done,
) => {
  const { callers } = options;
  app.decorate(
    'serviceCallers',
    typeof callers === 'string' ? ServiceCallers.of({ service: callers }) : callers,
  );
  app.decorate('serviceCredential', (credential: ServiceCredentialOptions = {}) => {
    if (typeof callers !== 'string') return requireServiceCredential(callers, credential);
    // A bare token stands for every caller (tests), so `allow` does not narrow it.
    const { allow: _everyCaller, ...rest } = credential;
    return requireServiceCredential(callers, rest);
  });
  done();
};

export const serviceCredential = fp(plugin, { name: 'parley-service-credential', fastify: '5.x' });
