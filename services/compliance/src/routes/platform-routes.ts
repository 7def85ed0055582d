/** Routes that are not about one tenant and need the service credential: GDPR participant registration. */
import { GdprParticipantNameSchema, RegisterParticipantBodySchema } from '@parley/contracts';
import { ProblemSchema, routePlugin } from '@parley/kit';
import { Type } from 'typebox';
import type { RouteDeps } from './route-context.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema };
const ParticipantView = Type.Object({
  name: Type.String(),
  handles: Type.Array(Type.String()),
  description: Type.String(),
  registeredAt: Type.String(),
});

export const platformRoutes = routePlugin<RouteDeps>((app, { participants }) => {
  app.put(
    '/gdpr/participants/:name',
    {
      schema: {
        description: 'Registers (or updates) a service as a GDPR participant for every tenant',
        params: Type.Object({ name: GdprParticipantNameSchema }),
        body: RegisterParticipantBodySchema,
        response: { 200: ParticipantView, ...errors },
      },
    },
    async (request) => {
      const { _id, ...rest } = await participants.register(request.params.name, request.body);
      return { name: _id, ...rest };
    },
  );

  app.get(
    '/gdpr/participants',
    { schema: { response: { 200: Type.Object({ participants: Type.Array(ParticipantView) }), ...errors } } },
    async () => ({
      participants: (await participants.list()).map(({ _id, ...rest }) => ({ name: _id, ...rest })),
    }),
  );
});
