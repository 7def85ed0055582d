/** Data keys (for envelope encryption in the caller's process) and small payloads sealed here. */
import {
  DecryptDataKeyRequestSchema,
  DecryptDataKeyResponseSchema,
  DecryptRequestSchema,
  DecryptResponseSchema,
  EncryptRequestSchema,
  EncryptResponseSchema,
  GenerateDataKeyRequestSchema,
  GenerateDataKeyResponseSchema,
  RewrapRequestSchema,
  RewrapResponseSchema,
} from '@parley/contracts';
import { decodeKeyedHeader, KIND_SEALED } from '@parley/keyring';
import { ProblemSchema, routePlugin } from '@parley/kit';
import { fromBase64, optionalBase64, type RouteDeps, TenantParams, toBase64 } from './route-context.ts';

const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  410: ProblemSchema,
};

export const dataRoutes = routePlugin<RouteDeps>((app, { keyring }) => {
  app.post(
    '/data-keys',
    {
      schema: {
        params: TenantParams,
        body: GenerateDataKeyRequestSchema,
        response: { 200: GenerateDataKeyResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params;
      const dataKey = await keyring.generateDataKey(tenant, request.body.purpose, {
        ...(request.body.keyName ? { keyName: request.body.keyName } : {}),
      });
      reply.header('cache-control', 'no-store');
      const answer = {
        plaintext: toBase64(dataKey.plaintext),
        wrapped: toBase64(dataKey.wrapped),
        keyName: dataKey.keyName,
        keyVersion: dataKey.keyVersion,
      };
      dataKey.plaintext.fill(0);
      return answer;
    },
  );

  app.post(
    '/data-keys/decrypt',
    {
      schema: {
        params: TenantParams,
        body: DecryptDataKeyRequestSchema,
        response: { 200: DecryptDataKeyResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const plaintext = await keyring.decryptDataKey(
        request.params.tenant,
        request.body.purpose,
        fromBase64(request.body.wrapped),
      );
      reply.header('cache-control', 'no-store');
      const answer = { plaintext: toBase64(plaintext) };
      plaintext.fill(0);
      return answer;
    },
  );

  app.post(
    '/encrypt',
    {
      schema: {
        params: TenantParams,
        body: EncryptRequestSchema,
        response: { 200: EncryptResponseSchema, ...errors },
      },
    },
    async (request) => {
      const aad = optionalBase64(request.body.aad);
      const ciphertext = await keyring.encrypt(
        request.params.tenant,
        request.body.purpose,
        fromBase64(request.body.plaintext),
        {
          ...(request.body.keyName ? { keyName: request.body.keyName } : {}),
          ...(aad ? { aad } : {}),
        },
      );
      return {
        ciphertext: toBase64(ciphertext),
        keyVersion: decodeKeyedHeader(ciphertext, KIND_SEALED).version,
      };
    },
  );

  app.post(
    '/decrypt',
    {
      schema: {
        params: TenantParams,
        body: DecryptRequestSchema,
        response: { 200: DecryptResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const aad = optionalBase64(request.body.aad);
      const plaintext = await keyring.decrypt(
        request.params.tenant,
        request.body.purpose,
        fromBase64(request.body.ciphertext),
        {
          ...(aad ? { aad } : {}),
        },
      );
      reply.header('cache-control', 'no-store');
      return { plaintext: toBase64(plaintext) };
    },
  );

  app.post(
    '/rewrap',
    {
      schema: {
        description:
          'Moves a ciphertext, wrapped data key or envelope to the primary key version; returns no plaintext',
        params: TenantParams,
        body: RewrapRequestSchema,
        response: { 200: RewrapResponseSchema, ...errors },
      },
    },
    async (request) => {
      const aad = optionalBase64(request.body.aad);
      const result = await keyring.rewrap(
        request.params.tenant,
        request.body.purpose,
        fromBase64(request.body.ciphertext),
        {
          ...(aad ? { aad } : {}),
        },
      );
      return {
        ciphertext: toBase64(result.ciphertext),
        keyVersion: result.keyVersion,
        rewrapped: result.rewrapped,
      };
    },
  );
});
