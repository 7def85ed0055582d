/**
 * Key lifecycle: create (idempotent), list, read, rotate (idempotent by request key), raise the
 * minimum decryption version, schedule or cancel destruction (crypto-shredding).
 */
import {
  KeyListSchema,
  KeyMetadataSchema,
  MinDecryptionVersionRequestSchema,
  RotateKeyRequestSchema,
  RotateKeyResponseSchema,
  ScheduleDestructionRequestSchema,
} from '@parley/contracts';
import { ProblemSchema, routePlugin } from '@parley/kit';
import { metadataBody, type RouteDeps, TenantKeyParams, TenantParams } from './route-context.ts';

const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  410: ProblemSchema,
};

export const keyRoutes = routePlugin<RouteDeps>((app, { keyring }) => {
  app.get(
    '/keys',
    { schema: { params: TenantParams, response: { 200: KeyListSchema, ...errors } } },
    async (request) => ({ keys: (await keyring.listKeys(request.params.tenant)).map(metadataBody) }),
  );

  app.put(
    '/keys/:keyName',
    {
      schema: {
        description: 'Creates the key with version 1 if it does not exist (idempotent)',
        params: TenantKeyParams,
        response: { 200: KeyMetadataSchema, ...errors },
      },
    },
    async (request) =>
      metadataBody(await keyring.ensureTenantKey(request.params.tenant, request.params.keyName)),
  );

  app.get(
    '/keys/:keyName',
    { schema: { params: TenantKeyParams, response: { 200: KeyMetadataSchema, ...errors } } },
    async (request) =>
      metadataBody(await keyring.listVersions(request.params.tenant, request.params.keyName)),
  );

  app.post(
    '/keys/:keyName/rotate',
    {
      schema: {
        params: TenantKeyParams,
        body: RotateKeyRequestSchema,
        response: { 200: RotateKeyResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { version, rotated, metadata } = await keyring.rotate(
        request.params.tenant,
        request.params.keyName,
        {
          ...(request.body.requestKey ? { requestKey: request.body.requestKey } : {}),
        },
      );
      return { version, rotated, key: metadataBody(metadata) };
    },
  );

  app.put(
    '/keys/:keyName/min-decryption-version',
    {
      schema: {
        description: 'Raises the minimum version that may decrypt; never lowers it',
        params: TenantKeyParams,
        body: MinDecryptionVersionRequestSchema,
        response: { 200: KeyMetadataSchema, ...errors },
      },
    },
    async (request) =>
      metadataBody(
        await keyring.setMinDecryptionVersion(
          request.params.tenant,
          request.params.keyName,
          request.body.minDecryptionVersion,
        ),
      ),
  );

  app.put(
    '/keys/:keyName/destruction',
    {
      schema: {
        description: 'Schedules crypto-shredding after a 7..30 day waiting period (idempotent while pending)',
        params: TenantKeyParams,
        body: ScheduleDestructionRequestSchema,
        response: { 200: KeyMetadataSchema, ...errors },
      },
    },
    async (request) =>
      metadataBody(
        await keyring.scheduleDestruction(request.params.tenant, request.params.keyName, {
          waitingDays: request.body.waitingDays,
        }),
      ),
  );

  app.delete(
    '/keys/:keyName/destruction',
    {
      schema: {
        description: 'Cancels a scheduled destruction',
        params: TenantKeyParams,
        response: { 200: KeyMetadataSchema, ...errors },
      },
    },
    async (request) =>
      metadataBody(await keyring.cancelDestruction(request.params.tenant, request.params.keyName)),
  );
});
