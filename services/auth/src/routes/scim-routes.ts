/**
 * SCIM 2.0 (RFC 7644) for a tenant's provisioning client, under `/v1/tenants/:tenant/scim/v2`
 * (the gateway serves it at `/api/v1/tenants/:tenant/scim/v2`): Users and Groups (create, read,
 * filter, replace with PUT, patch, delete) with the tenant's SCIM bearer token, each resource
 * versioned (RFC 7644 §3.14: `meta.version` and the ETag header; If-Match on PUT, PATCH and
 * DELETE answers 412 when it names another version; If-None-Match on a read answers 304), and the admin routes that issue and revoke
 * those tokens, and the discovery endpoints (RFC 7644 section 4: ServiceProviderConfig,
 * ResourceTypes, Schemas). Errors here are SCIM's own (`urn:ietf:params:scim:api:messages:2.0:Error`,
 * `status` as a string, `scimType`), which SCIM clients parse, not problem details; bodies are
 * accepted as `application/scim+json` or JSON and answered as `application/scim+json`.
 */
import { authOf, requireAccessToken } from '@parley/auth-client';
import { ProblemError, problems, routePlugin, securedBy, Type } from '@parley/kit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { AuthComponents } from '../components.ts';
import { resourceTypeList, schemaList, serviceProviderConfig } from '../domain/scim-discovery.ts';
import { SCIM_GROUP_SCHEMA, type ScimGroupInput } from '../domain/scim-groups.ts';
import {
  notModified,
  SCIM_PATCH_SCHEMA,
  SCIM_USER_SCHEMA,
  ScimError,
  type ScimPatch,
  type ScimPrecondition,
  type ScimUserInput,
  scimUser,
} from '../domain/scim-users.ts';
import { TenantParams, usableTenant } from './public-routes.ts';
import { NoContent, requestContext } from './request-context.ts';

const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_TYPE = 'application/scim+json';

/** A body's `schemas`, which must list the URN of what it is (RFC 7643 §3; checked in the domain too). */
const schemasListing = (urn: string) =>
  Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 10, contains: Type.Literal(urn) });
/** A pattern matching `word` in any case: JSON Schema patterns take no flags. */
const anyCase = (word: string) =>
  [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');
/** The one filter a list supports, `<attribute> eq "<value>"` (as the domain parses it). */
const equalityFilter = (attribute: string) =>
  Type.String({
    maxLength: 500,
    // Spaces and tabs, and an escape of any character but a line break: what the domain accepts
    // (it allows more whitespace), written so that every regex dialect reads it alike.
    pattern: `^[ \\t]*${anyCase(attribute)}[ \\t]+${anyCase('eq')}[ \\t]+"(?:[^"\\\\\\n\\r]|\\\\[^\\n\\r])+"[ \\t]*$`,
    description: `Only \`${attribute} eq "<value>"\` (the attribute and operator in any case)`,
  });

const Name = Type.Object(
  {
    formatted: Type.Optional(Type.String({ maxLength: 200 })),
    givenName: Type.Optional(Type.String({ maxLength: 100 })),
    familyName: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: true },
);
/** Core User attributes auth keeps; other attributes and extensions are accepted and ignored. */
const UserBody = Type.Object(
  {
    schemas: schemasListing(SCIM_USER_SCHEMA),
    userName: Type.String({ minLength: 3, maxLength: 254 }),
    externalId: Type.Optional(Type.String({ maxLength: 255 })),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    name: Type.Optional(Name),
    emails: Type.Optional(
      Type.Array(
        Type.Object({ value: Type.String({ maxLength: 254 }), primary: Type.Optional(Type.Boolean()) }),
        { maxItems: 10 },
      ),
    ),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
const PatchBody = Type.Object({
  schemas: schemasListing(SCIM_PATCH_SCHEMA),
  Operations: Type.Array(
    Type.Object({
      // RFC 7644 §3.5.2's three, in any case (Azure AD sends "Replace").
      op: Type.String({ pattern: `^(${['add', 'remove', 'replace'].map(anyCase).join('|')})$` }),
      path: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      value: Type.Optional(Type.Unknown()),
    }),
    { minItems: 1, maxItems: 50 },
  ),
});
const UserParams = Type.Object({
  tenant: TenantParams.properties.tenant,
  id: Type.String({ minLength: 1, maxLength: 64 }),
});
const listQuery = (filterAttribute: string) =>
  Type.Object({
    filter: Type.Optional(equalityFilter(filterAttribute)),
    startIndex: Type.Optional(Type.Integer({ minimum: 1 })),
    count: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  });
const ResourceMeta = Type.Object({
  resourceType: Type.String(),
  created: Type.String(),
  lastModified: Type.String(),
  /** The weak entity tag of this representation, also the answer's ETag header. */
  version: Type.String(),
});
const ScimUserResource = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    id: Type.String(),
    externalId: Type.Optional(Type.String()),
    userName: Type.String(),
    displayName: Type.String(),
    name: Type.Object({ formatted: Type.String() }),
    emails: Type.Array(Type.Object({ value: Type.String(), primary: Type.Boolean() })),
    active: Type.Boolean(),
    meta: ResourceMeta,
  },
  { description: 'A SCIM User (RFC 7643 section 4.1)' },
);
const ScimList = Type.Object({
  schemas: Type.Array(Type.String()),
  totalResults: Type.Integer(),
  startIndex: Type.Integer(),
  itemsPerPage: Type.Integer(),
  Resources: Type.Array(ScimUserResource),
});
const GroupBody = Type.Object(
  {
    schemas: schemasListing(SCIM_GROUP_SCHEMA),
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    externalId: Type.Optional(Type.String({ maxLength: 255 })),
    members: Type.Optional(
      Type.Array(
        Type.Object({ value: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: true }),
        {
          maxItems: 1000,
        },
      ),
    ),
  },
  { additionalProperties: true },
);
const ScimGroupResource = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    id: Type.String(),
    externalId: Type.Optional(Type.String()),
    displayName: Type.String(),
    members: Type.Array(Type.Object({ value: Type.String(), display: Type.String(), type: Type.String() })),
    meta: ResourceMeta,
  },
  { description: 'A SCIM Group (RFC 7643 section 4.2)' },
);
const GroupList = Type.Object({
  schemas: Type.Array(Type.String()),
  totalResults: Type.Integer(),
  startIndex: Type.Integer(),
  itemsPerPage: Type.Integer(),
  Resources: Type.Array(ScimGroupResource),
});
/** Discovery answers (RFC 7643 sections 5-7), declared whole so the serializer keeps every field. */
const DiscoveryMeta = Type.Object({ resourceType: Type.String() });
const ServiceProviderConfig = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    patch: Type.Object({ supported: Type.Boolean() }),
    bulk: Type.Object({
      supported: Type.Boolean(),
      maxOperations: Type.Integer(),
      maxPayloadSize: Type.Integer(),
    }),
    filter: Type.Object({ supported: Type.Boolean(), maxResults: Type.Integer() }),
    changePassword: Type.Object({ supported: Type.Boolean() }),
    sort: Type.Object({ supported: Type.Boolean() }),
    etag: Type.Object({ supported: Type.Boolean() }),
    authenticationSchemes: Type.Array(
      Type.Object({
        type: Type.String(),
        name: Type.String(),
        description: Type.String(),
        specUri: Type.String(),
        primary: Type.Boolean(),
      }),
    ),
    meta: DiscoveryMeta,
  },
  { description: 'What this SCIM service provider supports (RFC 7643 section 5)' },
);
/** A SCIM list of discovery resources, as RFC 7644 section 4 answers them. */
const DiscoveryList = (item: TSchema, description: string) =>
  Type.Object(
    {
      schemas: Type.Array(Type.String()),
      totalResults: Type.Integer(),
      startIndex: Type.Integer(),
      itemsPerPage: Type.Integer(),
      Resources: Type.Array(item),
    },
    { description },
  );
const ResourceType = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    id: Type.String(),
    name: Type.String(),
    endpoint: Type.String(),
    description: Type.String(),
    schema: Type.String(),
    schemaExtensions: Type.Array(Type.Object({ schema: Type.String(), required: Type.Boolean() })),
    meta: DiscoveryMeta,
  },
  { description: 'A resource type served (RFC 7643 section 6)' },
);
const ResourceTypeList = DiscoveryList(
  ResourceType,
  'The resource types served: User and Group (RFC 7643 section 6)',
);
const attributeFields = {
  name: Type.String(),
  type: Type.String(),
  multiValued: Type.Boolean(),
  description: Type.String(),
  required: Type.Boolean(),
  caseExact: Type.Boolean(),
  mutability: Type.String(),
  returned: Type.String(),
  uniqueness: Type.String(),
  canonicalValues: Type.Optional(Type.Array(Type.String())),
};
const SchemaAttribute = Type.Object({
  ...attributeFields,
  subAttributes: Type.Optional(Type.Array(Type.Object(attributeFields))),
});
const ScimSchema = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    attributes: Type.Array(SchemaAttribute),
    meta: DiscoveryMeta,
  },
  { description: 'A schema as auth keeps it (RFC 7643 section 7)' },
);
const SchemaList = DiscoveryList(
  ScimSchema,
  'The core User and Group schemas as auth keeps them (RFC 7643 section 7)',
);
const DiscoveryParams = Type.Object({
  tenant: TenantParams.properties.tenant,
  id: Type.String({ minLength: 1, maxLength: 200 }),
});
const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ScimErrorResource = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    status: Type.String({ description: 'The HTTP status, as a string' }),
    scimType: Type.Optional(Type.String()),
    detail: Type.String(),
  },
  { description: 'A SCIM error (RFC 7644 section 3.12), which SCIM clients parse' },
);

/**
 * A SCIM route's answers, each in SCIM's media type as the route sends it, and SCIM errors for the
 * 4XX and 5XX ranges (scimErrorHandling) in place of the problem details every other route answers.
 */
function scimAnswers(answers: Record<number, TSchema>): Record<string, unknown> {
  const scim = (description: string, schema: TSchema) => ({
    description,
    content: { [SCIM_TYPE]: { schema } },
  });
  return {
    ...Object.fromEntries(
      Object.entries(answers).map(([status, schema]) =>
        schema === NoContent
          ? [status, schema]
          : [status, scim(String((schema as { description?: string }).description ?? 'Done'), schema)],
      ),
    ),
    '4XX': scim('Refused: a SCIM error says why', ScimErrorResource),
    '5XX': scim('The service failed or is unavailable: a SCIM error, never a stack trace', ScimErrorResource),
  };
}

function scimErrorHandling(app: FastifyInstance): void {
  app.addContentTypeParser(SCIM_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ScimError(400, 'invalidSyntax', 'The body is not JSON'), undefined);
    }
  });
  app.setErrorHandler((error: FastifyError | ProblemError, _request, reply) => {
    const status = error instanceof ProblemError ? error.status : (error.statusCode ?? 500);
    const scimType = error instanceof ScimError ? error.scimType : validationScimType(error as FastifyError);
    const detail = status >= 500 ? 'Internal error' : error.message;
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="scim"');
    reply
      .status(status)
      .type(SCIM_TYPE)
      .send({
        schemas: [SCIM_ERROR_SCHEMA],
        status: String(status),
        ...(scimType ? { scimType } : {}),
        detail,
      });
  });
}

/**
 * The scimType of a request the route schema refused (RFC 7644 §3.12): a filter it cannot parse
 * is `invalidFilter`, a body that does not list its schema's URN `invalidSyntax`, any other
 * value `invalidValue`. The same answers the domain gives for what it checks itself.
 */
function validationScimType(error: FastifyError): string | undefined {
  if (!error.validation) return undefined;
  const where = (v: { instancePath?: string }) => `${error.validationContext}${v.instancePath ?? ''}`;
  if (error.validation.some((v) => where(v) === 'querystring/filter')) return 'invalidFilter';
  if (error.validation.some((v) => where(v).startsWith('body/schemas'))) return 'invalidSyntax';
  return 'invalidValue';
}

/** The If-Match a change carries (RFC 7644 §3.14). */
function precondition(request: FastifyRequest): ScimPrecondition {
  const ifMatch = request.headers['if-match'];
  return typeof ifMatch === 'string' ? { ifMatch } : {};
}

/** A single resource: its version as the ETag header too. */
function sendResource(
  reply: FastifyReply,
  resource: { meta: { version: string } },
  status = 200,
): FastifyReply {
  return reply.status(status).type(SCIM_TYPE).header('etag', resource.meta.version).send(resource);
}

/** A read: 304 without a body when If-None-Match names the current version. */
function sendRead(request: FastifyRequest, reply: FastifyReply, resource: { meta: { version: string } }) {
  const ifNoneMatch = request.headers['if-none-match'];
  if (notModified(typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, resource.meta.version))
    return reply.status(304).header('etag', resource.meta.version).send();
  return sendResource(reply, resource);
}

export const scimRoutes = routePlugin<AuthComponents>((app, parts) => {
  scimErrorHandling(app);
  /** The tenant in the path, its collections, after its SCIM token was checked. */
  const scim = async (request: FastifyRequest<{ Params: { tenant: string } }>) => {
    const c = await parts.store.forTenant(await usableTenant(parts, request.params.tenant));
    await parts.scimTokens.authenticate(c, request.headers.authorization, requestContext(request));
    return c;
  };
  const base = '/tenants/:tenant/scim/v2';

  /*
   * Discovery (RFC 7644 section 4). The RFC lets a provider serve these without authentication
   * or require it; here they take the tenant's SCIM token like every other SCIM route. The
   * answers are the same for every tenant, so a token buys no secret, but without one the route
   * would tell anyone which tenant ids exist and are served (usableTenant: 404 or an answer) at
   * no cost, and every client that reads them holds the token already (it is what it provisions
   * with; Entra ID and Okta send it on every request).
   */
  const discovery = (path: string, schema: TSchema, answer: unknown) =>
    app.get(
      `${base}/${path}`,
      { schema: { params: TenantParams, response: scimAnswers({ 200: schema }) } },
      async (request, reply) => {
        await scim(request);
        return reply.type(SCIM_TYPE).send(answer);
      },
    );
  discovery('ServiceProviderConfig', ServiceProviderConfig, serviceProviderConfig);
  discovery('ResourceTypes', ResourceTypeList, resourceTypeList);
  discovery('Schemas', SchemaList, schemaList);
  // One of them by its id (RFC 7644 section 4: `/ResourceTypes/User`, `/Schemas/<URN>`).
  const discoveryById = (path: string, schema: TSchema, list: { Resources: { id: string }[] }) =>
    app.get(
      `${base}/${path}/:id`,
      { schema: { params: DiscoveryParams, response: scimAnswers({ 200: schema }) } },
      async (request, reply) => {
        await scim(request);
        const found = list.Resources.find((resource) => resource.id === request.params.id);
        if (!found) throw new ScimError(404, undefined, `No ${path} entry ${request.params.id}`);
        return reply.type(SCIM_TYPE).send(found);
      },
    );
  discoveryById('ResourceTypes', ResourceType, resourceTypeList);
  discoveryById('Schemas', ScimSchema, schemaList);

  app.post(
    `${base}/Users`,
    { schema: { params: TenantParams, body: UserBody, response: scimAnswers({ 201: ScimUserResource }) } },
    async (request, reply) => {
      const c = await scim(request);
      const created = await parts.scimUsers.create(c, request.body as ScimUserInput, requestContext(request));
      return sendResource(reply, created, 201);
    },
  );

  app.get(
    `${base}/Users`,
    {
      schema: {
        params: TenantParams,
        querystring: listQuery('userName'),
        response: scimAnswers({ 200: ScimList }),
      },
    },
    async (request, reply) => {
      const c = await scim(request);
      return reply.type(SCIM_TYPE).send(await parts.scimUsers.list(c, request.query));
    },
  );

  app.get(
    `${base}/Users/:id`,
    { schema: { params: UserParams, response: scimAnswers({ 200: ScimUserResource, 304: NoContent }) } },
    async (request, reply) => {
      const c = await scim(request);
      return sendRead(request, reply, scimUser(await parts.scimUsers.get(c, request.params.id)));
    },
  );

  app.put(
    `${base}/Users/:id`,
    { schema: { params: UserParams, body: UserBody, response: scimAnswers({ 200: ScimUserResource }) } },
    async (request, reply) => {
      const c = await scim(request);
      const replaced = await parts.scimUsers.replace(
        c,
        request.params.id,
        request.body as ScimUserInput,
        requestContext(request),
        precondition(request),
      );
      return sendResource(reply, replaced);
    },
  );

  app.patch(
    `${base}/Users/:id`,
    { schema: { params: UserParams, body: PatchBody, response: scimAnswers({ 200: ScimUserResource }) } },
    async (request, reply) => {
      const c = await scim(request);
      const patched = await parts.scimUsers.patch(
        c,
        request.params.id,
        request.body as ScimPatch,
        requestContext(request),
        precondition(request),
      );
      return sendResource(reply, patched);
    },
  );

  app.delete(
    `${base}/Users/:id`,
    { schema: { params: UserParams, response: scimAnswers({ 204: NoContent }) } },
    async (request, reply) => {
      const c = await scim(request);
      await parts.scimUsers.delete(c, request.params.id, requestContext(request), precondition(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${base}/Groups`,
    { schema: { params: TenantParams, body: GroupBody, response: scimAnswers({ 201: ScimGroupResource }) } },
    async (request, reply) => {
      const c = await scim(request);
      return sendResource(reply, await parts.scimGroups.create(c, request.body as ScimGroupInput), 201);
    },
  );

  app.get(
    `${base}/Groups`,
    {
      schema: {
        params: TenantParams,
        querystring: listQuery('displayName'),
        response: scimAnswers({ 200: GroupList }),
      },
    },
    async (request, reply) => {
      const c = await scim(request);
      return reply.type(SCIM_TYPE).send(await parts.scimGroups.list(c, request.query));
    },
  );

  app.get(
    `${base}/Groups/:id`,
    { schema: { params: UserParams, response: scimAnswers({ 200: ScimGroupResource, 304: NoContent }) } },
    async (request, reply) => {
      const c = await scim(request);
      return sendRead(
        request,
        reply,
        await parts.scimGroups.view(c, await parts.scimGroups.get(c, request.params.id)),
      );
    },
  );

  app.put(
    `${base}/Groups/:id`,
    { schema: { params: UserParams, body: GroupBody, response: scimAnswers({ 200: ScimGroupResource }) } },
    async (request, reply) => {
      const c = await scim(request);
      return sendResource(
        reply,
        await parts.scimGroups.replace(
          c,
          request.params.id,
          request.body as ScimGroupInput,
          precondition(request),
        ),
      );
    },
  );

  app.patch(
    `${base}/Groups/:id`,
    { schema: { params: UserParams, body: PatchBody, response: scimAnswers({ 200: ScimGroupResource }) } },
    async (request, reply) => {
      const c = await scim(request);
      return sendResource(
        reply,
        await parts.scimGroups.patch(c, request.params.id, request.body as ScimPatch, precondition(request)),
      );
    },
  );

  app.delete(
    `${base}/Groups/:id`,
    { schema: { params: UserParams, response: scimAnswers({ 204: NoContent }) } },
    async (request, reply) => {
      const c = await scim(request);
      await parts.scimGroups.delete(c, request.params.id, precondition(request));
      return reply.status(204).send(null);
    },
  );
});

const ScimTokenList = Type.Object({
  tokens: Type.Array(
    Type.Object({
      id: Type.String(),
      prefix: Type.Optional(Type.String()),
      createdAt: Type.String(),
      createdBy: Type.String(),
      lastUsedAt: Type.Optional(Type.String()),
    }),
  ),
});

/** A tenant admin's SCIM tokens (bearer, role admin; problem details like every admin route). */
export const scimTokenRoutes = routePlugin<AuthComponents>((app, parts) => {
  const onRequest = securedBy('bearer', requireAccessToken(parts.authClient.verifier));
  const admin = async (request: FastifyRequest) => {
    const claims = authOf(request);
    await parts.tenantGate.assertServed(claims.tid);
    if (!claims.roles.includes('admin')) throw problems.forbidden('Only a tenant admin may do this');
    return { claims, c: await parts.store.forTenant(claims.tid) };
  };
  app.post(
    '/admin/scim/tokens',
    {
      onRequest,
      schema: {
        response: {
          201: Type.Object({
            id: Type.String(),
            token: Type.String({ description: 'Shown once' }),
            prefix: Type.String(),
            createdAt: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      const { claims, c } = await admin(request);
      reply.status(201);
      return parts.scimTokens.issue(c, claims.sub, requestContext(request));
    },
  );
  app.get(
    '/admin/scim/tokens',
    { onRequest, schema: { response: { 200: ScimTokenList } } },
    async (request) => {
      const { c } = await admin(request);
      return { tokens: await parts.scimTokens.list(c) };
    },
  );
  app.delete(
    '/admin/scim/tokens/:id',
    { onRequest, schema: { params: TokenParams, response: { 204: NoContent } } },
    async (request, reply) => {
      const { claims, c } = await admin(request);
      if (!(await parts.scimTokens.revoke(c, request.params.id, claims.sub, requestContext(request)))) {
        throw problems.notFound('No such SCIM token');
      }
      reply.status(204);
      return null;
    },
  );
});
