/**
 * SCIM 2.0 (RFC 7644) for a tenant's provisioning client (an HR directory, an identity provider):
 * `/api/v1/tenants/:tenant/scim/v2/Users`, `/Groups` and the discovery endpoints
 * (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`), passed to auth with the client's own bearer token (a
 * SCIM token of that tenant, checked by auth against the tenant the path names; no Parley access
 * token). The schemas here only bound the input: SCIM bodies carry extensions, and auth validates
 * them and answers in SCIM's own error shape, which SCIM clients read.
 */
import { ProblemSchema, type ServiceApp, Type } from '@parley/kit';
import type { ServiceHttp } from '@parley/service-http';
import { TenantIdSchema } from '@parley/tenancy';
import { NoContent } from './auth-routes.ts';
import { type ProxyContext, type ProxyRouteDefinition, registerProxyRoute } from './proxy-route.ts';

const ScimBody = Type.Object(
  {},
  { additionalProperties: true, description: 'A SCIM resource or PatchOp (RFC 7643/7644)' },
);
const SCIM_TYPE = 'application/scim+json';
const ScimResource = Type.Object(
  {},
  { additionalProperties: true, description: 'A SCIM resource or ListResponse' },
);
const ScimError = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    status: Type.String(),
    scimType: Type.Optional(Type.String()),
    detail: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'A SCIM Error (RFC 7644 §3.12)' },
);
/**
 * What auth answers is SCIM's media type, successes and refusals alike, and the document says so
 * (schemathesis found every SCIM answer documented as JSON or problem details). A refusal the
 * gateway makes itself before auth is asked (an unknown or suspended tenant, a rate limit, a
 * body it cannot parse) is problem details, so a 4XX may be either.
 */
const scimAnswer = (status: number) => ({
  [status]: { description: 'SCIM answer', content: { [SCIM_TYPE]: { schema: ScimResource } } },
  '4XX': {
    description: "Refused: auth's SCIM Error, or problem details when the gateway refuses first",
    content: { [SCIM_TYPE]: { schema: ScimError }, 'application/problem+json': { schema: ProblemSchema } },
  },
});
const scimNoContent = { ...scimAnswer(204), 204: NoContent };
/** A read of one resource: 304 when If-None-Match names its current version. */
const scimRead = {
  ...scimAnswer(200),
  304: Type.Null({ description: 'Not modified: If-None-Match names the current version' }),
};
/**
 * Versions (RFC 7644 §3.14): every resource carries `meta.version`, also its ETag header; a
 * change with If-Match naming another version is refused (412), a read with If-None-Match
 * naming the current one answers 304.
 */
const Preconditions = Type.Object({
  'if-match': Type.Optional(
    Type.String({ maxLength: 500, description: 'Change only if the resource still has this version' }),
  ),
});
const ReadPreconditions = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 500, description: 'Answer 304 if the resource still has this version' }),
  ),
});
const onChange = ['if-match'] as const;
const onRead = ['if-none-match'] as const;
const TenantParams = Type.Object({ tenant: TenantIdSchema });
const UserParams = Type.Object({ tenant: TenantIdSchema, id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object({
  filter: Type.Optional(Type.String({ maxLength: 500 })),
  startIndex: Type.Optional(Type.Integer({ minimum: 1 })),
  count: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
});

export function registerScimRoutes(app: ServiceApp, context: ProxyContext, auth: ServiceHttp): void {
  app.addContentTypeParser(SCIM_TYPE, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  const scim = { tags: ['scim'], access: 'tenant-path' as const, upstream: auth };
  const users = (tenant: string, id?: string) =>
    `/v1/tenants/${tenant}/scim/v2/Users${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
  const routes: ProxyRouteDefinition[] = [
    {
      ...scim,
      method: 'POST',
      url: '/tenants/:tenant/scim/v2/Users',
      operationId: 'scimCreateUser',
      summary: 'SCIM: provisions a user (userName is the e-mail); the SCIM token as bearer',
      schema: { params: TenantParams, body: ScimBody, response: scimAnswer(201) },
      target: ({ tenant, body }) => ({ path: users(tenant), body, bearer: true }),
    },
    {
      ...scim,
      method: 'GET',
      url: '/tenants/:tenant/scim/v2/Users',
      operationId: 'scimListUsers',
      summary: 'SCIM: lists users, filter `userName eq "<e-mail>"`, startIndex and count',
      schema: { params: TenantParams, querystring: ListQuery, response: scimAnswer(200) },
      target: ({ tenant, query }) => ({ path: users(tenant), query, bearer: true }),
    },
    {
      ...scim,
      method: 'GET',
      url: '/tenants/:tenant/scim/v2/Users/:id',
      operationId: 'scimGetUser',
      summary: 'SCIM: one user (its version as ETag)',
      schema: { params: UserParams, headers: ReadPreconditions, response: scimRead },
      forwardHeaders: onRead,
      target: ({ tenant, params }) => ({ path: users(tenant, params.id), bearer: true }),
    },
    {
      ...scim,
      method: 'PUT',
      url: '/tenants/:tenant/scim/v2/Users/:id',
      operationId: 'scimReplaceUser',
      summary: 'SCIM: replaces a user (userName cannot change; If-Match: 412 on another version)',
      schema: { params: UserParams, headers: Preconditions, body: ScimBody, response: scimAnswer(200) },
      forwardHeaders: onChange,
      target: ({ tenant, params, body }) => ({ path: users(tenant, params.id), body, bearer: true }),
    },
    {
      ...scim,
      method: 'PATCH',
      url: '/tenants/:tenant/scim/v2/Users/:id',
      operationId: 'scimPatchUser',
      summary: 'SCIM: PatchOp on a user (active=false suspends them and ends their sessions)',
      schema: { params: UserParams, headers: Preconditions, body: ScimBody, response: scimAnswer(200) },
      forwardHeaders: onChange,
      target: ({ tenant, params, body }) => ({ path: users(tenant, params.id), body, bearer: true }),
    },
    {
      ...scim,
      method: 'DELETE',
      url: '/tenants/:tenant/scim/v2/Users/:id',
      operationId: 'scimDeleteUser',
      summary: 'SCIM: deletes (anonymises) a user; refused under a legal hold',
      schema: { params: UserParams, headers: Preconditions, response: scimNoContent },
      forwardHeaders: onChange,
      target: ({ tenant, params }) => ({ path: users(tenant, params.id), bearer: true }),
    },
  ];
  const groups = (tenant: string, id?: string) =>
    `/v1/tenants/${tenant}/scim/v2/Groups${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
  routes.push(
    {
      ...scim,
      method: 'POST',
      url: '/tenants/:tenant/scim/v2/Groups',
      operationId: 'scimCreateGroup',
      summary: "SCIM: makes a group of the tenant's users",
      schema: { params: TenantParams, body: ScimBody, response: scimAnswer(201) },
      target: ({ tenant, body }) => ({ path: groups(tenant), body, bearer: true }),
    },
    {
      ...scim,
      method: 'GET',
      url: '/tenants/:tenant/scim/v2/Groups',
      operationId: 'scimListGroups',
      summary: 'SCIM: lists groups, filter `displayName eq "<name>"`, startIndex and count',
      schema: { params: TenantParams, querystring: ListQuery, response: scimAnswer(200) },
      target: ({ tenant, query }) => ({ path: groups(tenant), query, bearer: true }),
    },
    {
      ...scim,
      method: 'GET',
      url: '/tenants/:tenant/scim/v2/Groups/:id',
      operationId: 'scimGetGroup',
      summary: 'SCIM: one group (its version as ETag)',
      schema: { params: UserParams, headers: ReadPreconditions, response: scimRead },
      forwardHeaders: onRead,
      target: ({ tenant, params }) => ({ path: groups(tenant, params.id), bearer: true }),
    },
    {
      ...scim,
      method: 'PUT',
      url: '/tenants/:tenant/scim/v2/Groups/:id',
      operationId: 'scimReplaceGroup',
      summary: 'SCIM: replaces a group (name, members, externalId; If-Match: 412 on another version)',
      schema: { params: UserParams, headers: Preconditions, body: ScimBody, response: scimAnswer(200) },
      forwardHeaders: onChange,
      target: ({ tenant, params, body }) => ({ path: groups(tenant, params.id), body, bearer: true }),
    },
    {
      ...scim,
      method: 'PATCH',
      url: '/tenants/:tenant/scim/v2/Groups/:id',
      operationId: 'scimPatchGroup',
      summary: 'SCIM: PatchOp on a group (members add/remove/replace, displayName)',
      schema: { params: UserParams, headers: Preconditions, body: ScimBody, response: scimAnswer(200) },
      forwardHeaders: onChange,
      target: ({ tenant, params, body }) => ({ path: groups(tenant, params.id), body, bearer: true }),
    },
    {
      ...scim,
      method: 'DELETE',
      url: '/tenants/:tenant/scim/v2/Groups/:id',
      operationId: 'scimDeleteGroup',
      summary: 'SCIM: deletes a group (its members stay)',
      schema: { params: UserParams, headers: Preconditions, response: scimNoContent },
      forwardHeaders: onChange,
      target: ({ tenant, params }) => ({ path: groups(tenant, params.id), bearer: true }),
    },
  );
  // Discovery (RFC 7644 section 4): what auth's SCIM supports, with the SCIM token like the rest.
  const discovery = (path: string, operationId: string, summary: string): ProxyRouteDefinition => ({
    ...scim,
    method: 'GET',
    url: `/tenants/:tenant/scim/v2/${path}`,
    operationId,
    summary,
    schema: { params: TenantParams, response: scimAnswer(200) },
    target: ({ tenant }) => ({ path: `/v1/tenants/${tenant}/scim/v2/${path}`, bearer: true }),
  });
  const discoveryById = (path: string, operationId: string, summary: string): ProxyRouteDefinition => ({
    ...scim,
    method: 'GET',
    url: `/tenants/:tenant/scim/v2/${path}/:id`,
    operationId,
    summary,
    schema: {
      params: Type.Object({ tenant: TenantIdSchema, id: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: scimAnswer(200),
    },
    target: ({ tenant, params }) => ({
      path: `/v1/tenants/${tenant}/scim/v2/${path}/${encodeURIComponent(params.id ?? '')}`,
      bearer: true,
    }),
  });
  routes.push(
    discovery(
      'ServiceProviderConfig',
      'scimServiceProviderConfig',
      'SCIM: what is supported (patch, filter and its maxResults, etag; no bulk, sort or changePassword)',
    ),
    discovery('ResourceTypes', 'scimResourceTypes', 'SCIM: the resource types served (User, Group)'),
    discovery('Schemas', 'scimSchemas', 'SCIM: the core User and Group schemas, cut to the attributes kept'),
    discoveryById('ResourceTypes', 'scimResourceType', 'SCIM: one resource type by its id (User, Group)'),
    discoveryById('Schemas', 'scimSchema', "SCIM: one schema by its id (the schema's URN)"),
  );
  for (const route of routes) registerProxyRoute(app, context, route);
}
