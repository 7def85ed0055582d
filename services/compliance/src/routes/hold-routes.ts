/** Legal holds: place (cancelling pending crypto-shredding it covers), list, lift (resuming blocked erasures). */
import { LegalHoldViewSchema, LiftLegalHoldBodySchema, PlaceLegalHoldBodySchema } from '@parley/contracts';
import { ProblemSchema, problems, routePlugin } from '@parley/kit';
import { Type } from 'typebox';
import { type RouteDeps, TenantParams } from './route-context.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

export const holdRoutes = routePlugin<RouteDeps>((app, { holds }) => {
  app.post(
    '/legal-holds',
    {
      schema: {
        params: TenantParams,
        body: PlaceLegalHoldBodySchema,
        response: {
          201: Type.Object({ hold: LegalHoldViewSchema, destructionsCancelled: Type.Array(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await holds.place(request.params.tenant, request.body)),
  );

  app.get(
    '/legal-holds',
    {
      schema: {
        params: TenantParams,
        querystring: Type.Object(
          { includeLifted: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ holds: Type.Array(LegalHoldViewSchema) }), ...errors },
      },
    },
    async (request) => ({
      holds: await holds
        .store(request.params.tenant)
        .list({ includeLifted: request.query.includeLifted ?? false }),
    }),
  );

  app.post(
    '/legal-holds/:holdId/lift',
    {
      schema: {
        params: Type.Object({
          tenant: TenantParams.properties.tenant,
          holdId: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        body: LiftLegalHoldBodySchema,
        response: {
          200: Type.Object({ hold: LegalHoldViewSchema, resumedJobs: Type.Array(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const lifted = await holds.lift(request.params.tenant, request.params.holdId, request.body);
      if (!lifted) throw problems.notFound(`No active legal hold ${request.params.holdId}`);
      return lifted;
    },
  );
});
