/**
 * A service's route file is a Fastify plugin: `export const thingRoutes = routePlugin<Deps>((app,
 * deps) => { app.get(...) })`, registered by its app.ts with `app.register(thingRoutes, deps)`
 * (under `/v1`, inside the scope that guards it). The helper only gives the plugin the TypeBox
 * type provider, so route handlers see their schemas' types.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyPluginOptions,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

/** The app a route plugin declares its routes on (TypeBox schemas as types). */
export type ServiceRoutes = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export function routePlugin<O extends FastifyPluginOptions = Record<never, never>>(
  declare: (app: ServiceRoutes, options: O) => void | Promise<void>,
): FastifyPluginAsync<O> {
  return async (instance, options) => {
    await declare(instance.withTypeProvider<TypeBoxTypeProvider>(), options);
  };
}
