/**
 * POST /tenants/:tenant/attachments: messaging binds uploads to a message before it writes the
 * send (domain/attachments.ts says what is allowed). Only messaging's credential passes; the
 * sender is in the body, since messaging has verified who sends.
 */
import { BindAttachmentsBodySchema, BoundAttachmentsSchema } from '@parley/contracts';
import { guardScope, ProblemSchema, type ServiceApp, Type } from '@parley/kit';
import { TenantIdSchema } from '@parley/tenancy';
import type { MediaComponents } from '../components.ts';

export const attachmentRoutes =
  (c: MediaComponents) =>
  async (scope: ServiceApp): Promise<void> => {
    guardScope(scope, scope.serviceCredential({ allow: ['messaging'] }));
    scope.addHook('preHandler', scope.servedTenant);
    scope.post(
      '/tenants/:tenant/attachments',
      {
        schema: {
          params: Type.Object({ tenant: TenantIdSchema }),
          body: BindAttachmentsBodySchema,
          response: {
            200: BoundAttachmentsSchema,
            400: ProblemSchema,
            401: ProblemSchema,
            403: ProblemSchema,
            422: ProblemSchema,
          },
        },
      },
      async (request) => ({ mediaIds: await c.attachments.bind(request.params.tenant, request.body) }),
    );
  };
