/**
 * @parley/sdk: Parley's public API (/api/v1) as a typed client. The types are generated from the
 * gateway's OpenAPI document (src/generated/api.ts, by openapi-typescript); calls go through
 * openapi-fetch, so every path, parameter, body and answer is checked by the compiler and the
 * client adds nothing at run time beyond fetch.
 *
 * ```ts
 * const parley = createParleyClient({ baseUrl: 'https://chat.example' });
 * const { data, error } = await parley.POST('/api/v1/tenants/{tenant}/login', {
 *   params: { path: { tenant: 'acme' } },
 *   body: { email, password },
 * });
 * const me = createParleyClient({ baseUrl, accessToken: data.accessToken });
 * ```
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './generated/api.ts';

export type { components, operations, paths };
export type ParleyClient = Client<paths>;
/** RFC 9457 problem details, as every refusal of the API is answered. */
export type Problem = components['schemas']['Problem'];

export interface ParleyClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the gateway is, e.g. https://chat.example (the paths start with /api/v1). */
  baseUrl: string;
  /** A user's access token: sent as `Authorization: Bearer` on every call. */
  accessToken?: string;
}

export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const { accessToken, headers, ...rest } = options;
  return createClient<paths>({
    ...rest,
    headers: {
      ...(headers as Record<string, string> | undefined),
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
  });
}
