/** Retention policies (as the operator stores them), on-demand runs and dry runs, and run records. */
import { RetentionRunRequestSchema } from '@parley/contracts';
import { ProblemSchema, problems, routePlugin } from '@parley/kit';
import { RetentionPolicySchema } from '@parley/retention';
import { Type } from 'typebox';
import { type RouteDeps, TenantParams } from './route-context.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const PolicyParams = Type.Object({
  tenant: TenantParams.properties.tenant,
  name: Type.String({ minLength: 1, maxLength: 253 }),
});

export const retentionRoutes = routePlugin<RouteDeps>((app, { retention }) => {
  app.put(
    '/retention/policies/:name',
    {
      schema: {
        params: PolicyParams,
        body: Type.Omit(RetentionPolicySchema, ['name']),
        response: { 200: RetentionPolicySchema, ...errors },
      },
    },
    async (request) =>
      retention
        .policies(request.params.tenant)
        .put({ name: request.params.name, rules: request.body.rules, dryRun: request.body.dryRun ?? false }),
  );

  app.get(
    '/retention/policies',
    {
      schema: {
        params: TenantParams,
        response: { 200: Type.Object({ policies: Type.Array(RetentionPolicySchema) }), ...errors },
      },
    },
    async (request) => ({ policies: await retention.policies(request.params.tenant).list() }),
  );

  app.post(
    '/retention/runs',
    {
      schema: {
        description: 'Runs (or with dryRun, plans) a stored policy now; legal holds are honoured',
        params: TenantParams,
        body: RetentionRunRequestSchema,
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request) => {
      const run = await retention.run(request.params.tenant, request.body.policy, {
        ...(request.body.dryRun !== undefined ? { dryRun: request.body.dryRun } : {}),
        requestedBy: 'compliance',
      });
      if (!run) throw problems.notFound(`No retention policy ${request.body.policy}`);
      return run;
    },
  );

  app.get(
    '/retention/runs',
    {
      schema: {
        params: TenantParams,
        querystring: Type.Object(
          {
            policy: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ runs: Type.Array(Type.Unknown()) }), ...errors },
      },
    },
    async (request) => ({ runs: await retention.runs(request.params.tenant).list(request.query) }),
  );
});
