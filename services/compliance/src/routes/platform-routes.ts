/** Routes that are not about one tenant: the signing keys verifiers trust, GDPR participant registration. */
import { GdprParticipantNameSchema, RegisterParticipantBodySchema } from '@parley/contracts';
import { ProblemSchema } from '@parley/kit';
import { Type } from 'typebox';
import type { ComplianceRoutes } from './route-context.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema };
const ParticipantView = Type.Object({
  name: Type.String(),
  handles: Type.Array(Type.String()),
  description: Type.String(),
  registeredAt: Type.String(),
});

export const platformRoutes: ComplianceRoutes = (app, { auditLogs, participants }) => {
  app.get(
    '/audit/signing-keys',
    {
      schema: {
        description: 'Public keys (base64 SPKI and PEM) that sign audit checkpoints and export receipts',
        response: {
          200: Type.Object({
            current: Type.String(),
            keys: Type.Array(
              Type.Object({
                keyId: Type.String(),
                algorithm: Type.String(),
                publicKey: Type.String(),
                pem: Type.String(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async () => ({
      current: auditLogs.signingKey.keyId,
      keys: [...auditLogs.publicKeys].map(([keyId, key]) => ({
        keyId,
        algorithm: 'Ed25519',
        publicKey: key.export({ format: 'der', type: 'spki' }).toString('base64'),
        pem: key.export({ format: 'pem', type: 'spki' }).toString(),
      })),
    }),
  );

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
};
