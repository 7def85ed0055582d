/**
 * POST /tenants/:tenant/attachments/names: search reads the display names of a message's files
 * for the message's index document, so a search for a file name finds the message (and, the
 * document being the message's, only for those who may read it). Only search's credential passes;
 * only files bound to the named message answer (domain/attachments.ts).
 */
import { AttachmentNamesBodySchema, AttachmentNamesSchema } from '@parley/contracts';
import { guardScope, ProblemSchema, type ServiceApp, Type } from '@parley/kit';
import { TenantIdSchema } from '@parley/tenancy';
import type { MediaComponents } from '../components.ts';

export const attachmentNameRoutes =
  (c: MediaComponents) =>
  async (scope: ServiceApp): Promise<void> => {
    guardScope(scope, scope.serviceCredential({ allow: ['search'] }));
    scope.addHook('preHandler', scope.servedTenant);
    scope.post(
      '/tenants/:tenant/attachments/names',
      {
        schema: {
          params: Type.Object({ tenant: TenantIdSchema }),
          body: AttachmentNamesBodySchema,
          response: {
            200: AttachmentNamesSchema,
            400: ProblemSchema,
            401: ProblemSchema,
            403: ProblemSchema,
          },
        },
      },
      async (request) => ({
        files: await c.attachments.namesOf(
          request.params.tenant,
          request.body.messageId,
          request.body.mediaIds,
        ),
      }),
    );
  };
