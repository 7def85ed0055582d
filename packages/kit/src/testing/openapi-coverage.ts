/**
 * Holds a service's OpenAPI document against the routes its app really declares, for each
 * service's own test: the document is valid OpenAPI 3.1 (the official schemas, through
 * @seriousme/openapi-schema-validator), every route is in it with an operation id, tags,
 * security, a schema for each input it declares (path parameters, query, body) and a response
 * schema, and nothing is in it that the router does not serve; every route lives under the API's
 * version prefix (`/v1`, the gateway's `/api/v1`), but for the kit's own probes, /metrics and
 * /documentation, which stay at the root of every service. Then `checkDocumentedSecurity`
 * asks the app itself whether each route refuses a caller without credentials exactly when the
 * document says it needs them.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, FastifySchema, HTTPMethods, RouteOptions } from 'fastify';
import { DOCUMENTATION_PREFIX, declaredRoutes } from '../http/openapi.ts';

type Json = Record<string, unknown>;
export interface OpenApiOperation extends Json {
  operationId?: string;
  tags?: string[];
  security?: Json[];
  parameters?: { in: string; name: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  'x-internal'?: boolean;
}
export type OpenApiDocument = Json & {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
};

/** `/tenants/:tenant/keys/:keyName` → `/tenants/{tenant}/keys/{keyName}`. */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const methodsOf = (route: RouteOptions) =>
  (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toLowerCase());

const isDocumentationRoute = (route: RouteOptions) =>
  route.url === DOCUMENTATION_PREFIX || route.url.startsWith(`${DOCUMENTATION_PREFIX}/`);

/** The kit's routes at the root of every service (probes.ts, metrics.ts): not the API's. */
export const KIT_ROOT_ROUTES: readonly string[] = ['/health', '/ready', '/metrics'];

const isUnder = (url: string, prefix: string) => url === prefix || url.startsWith(`${prefix}/`);

export async function fetchOpenApiDocument(app: FastifyInstance): Promise<OpenApiDocument> {
  const response = await app.inject({ url: `${DOCUMENTATION_PREFIX}/json` });
  if (response.statusCode !== 200) throw new Error(`/documentation/json answered ${response.statusCode}`);
  return response.json() as OpenApiDocument;
}

/** The findings about one route's operation (empty when it is fully documented). */
function findingsOf(route: RouteOptions, method: string, operation: OpenApiOperation | undefined): string[] {
  const at = `${method.toUpperCase()} ${route.url}`;
  if (!operation) return [`${at}: not in the document`];
  const found: string[] = [];
  if (!operation.operationId) found.push(`${at}: no operationId`);
  if (!operation.tags?.length) found.push(`${at}: no tags`);
  if (!Array.isArray(operation.security)) found.push(`${at}: no security (not even [] for an open route)`);
  if (typeof operation['x-internal'] !== 'boolean') found.push(`${at}: does not say whether it is internal`);
  const parameters = operation.parameters ?? [];
  const documented = (where: string, name: string) =>
    parameters.some((p) => p.in === where && p.name === name && p.schema !== undefined);
  for (const [, name] of route.url.matchAll(/:([A-Za-z0-9_]+)/g)) {
    if (!documented('path', name as string)) found.push(`${at}: path parameter ${name} has no schema`);
  }
  const schema = (route.schema ?? {}) as FastifySchema & { querystring?: { properties?: Json } };
  for (const name of Object.keys(schema.querystring?.properties ?? {})) {
    if (!documented('query', name)) found.push(`${at}: query parameter ${name} has no schema`);
  }
  if (schema.body !== undefined) {
    const contents = Object.values(operation.requestBody?.content ?? {});
    if (!contents.some((c) => c.schema !== undefined)) found.push(`${at}: request body has no schema`);
  }
  const successes = Object.entries(operation.responses ?? {}).filter(([status]) => /^[23]/.test(status));
  if (successes.length === 0) found.push(`${at}: no success response documented`);
  for (const [status, answer] of successes) {
    // 204 and 304 carry no body, so nothing to describe.
    if (status === '204' || status === '304') continue;
    const contents = Object.values(answer.content ?? {});
    if (!contents.some((c) => c.schema !== undefined)) found.push(`${at}: response ${status} has no schema`);
  }
  return found;
}

export interface OpenApiCoverage {
  document: OpenApiDocument;
  /** What is wrong, one line each; empty when the document is valid and complete. */
  findings: string[];
  /** How many operations were checked (so a test can tell it checked something). */
  operations: number;
}

export interface OpenApiCoverageOptions {
  /**
   * Where every route of the API lives: `/v1` in every service (so a breaking change gets `/v2`
   * beside it), `/api/v1` in the public gateway.
   */
  apiPrefix?: string;
}

export async function checkOpenApiCoverage(
  app: FastifyInstance,
  options: OpenApiCoverageOptions = {},
): Promise<OpenApiCoverage> {
  const apiPrefix = options.apiPrefix ?? '/v1';
  await app.ready();
  const document = await fetchOpenApiDocument(app);
  const findings: string[] = [];
  if (document.openapi !== '3.1.0') findings.push(`the document is OpenAPI ${document.openapi}, not 3.1.0`);
  const validator = new Validator();
  const validity = await validator.validate(document);
  if (!validity.valid) findings.push(`not valid OpenAPI: ${JSON.stringify(validity.errors)}`);

  let operations = 0;
  const operationIds = new Map<string, string>();
  for (const route of declaredRoutes(app)) {
    if (isDocumentationRoute(route)) continue;
    const outside = !KIT_ROOT_ROUTES.includes(route.url) && !isUnder(route.url, apiPrefix);
    for (const method of methodsOf(route)) {
      operations++;
      if (outside) findings.push(`${method.toUpperCase()} ${route.url}: not under ${apiPrefix}`);
      const operation = document.paths?.[openApiPath(route.url)]?.[method];
      findings.push(...findingsOf(route, method, operation));
      const id = operation?.operationId;
      if (id && operationIds.has(id))
        findings.push(`operationId ${id} is used twice (${operationIds.get(id)})`);
      if (id) operationIds.set(id, `${method.toUpperCase()} ${route.url}`);
    }
  }
  // The other way round: nothing documented that the router does not serve.
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(item)) {
      const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
      if (!app.hasRoute({ method: method.toUpperCase() as HTTPMethods, url })) {
        findings.push(`${method.toUpperCase()} ${path}: documented but not served`);
      }
    }
  }
  return { document, findings, operations };
}

/**
 * Each documented operation called with no credential at all: a route the document says needs
 * one must answer 401, and one it says is open must not. Path parameters are filled with
 * `sample`; open routes with a body get none (so validation refuses them before any work).
 */
export async function checkDocumentedSecurity(
  app: FastifyInstance,
  document: OpenApiDocument,
  sample = 'sample',
): Promise<string[]> {
  const findings: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const secured = (operation.security ?? []).length > 0;
      const url = path.replace(/\{[A-Za-z0-9_]+\}/g, sample);
      const response = await app.inject({ method: method.toUpperCase() as HTTPMethods, url });
      if (secured && response.statusCode !== 401)
        findings.push(
          `${method.toUpperCase()} ${path}: documented as secured, answered ${response.statusCode}`,
        );
      if (!secured && response.statusCode === 401)
        findings.push(`${method.toUpperCase()} ${path}: documented as open, answered 401`);
    }
  }
  return findings;
}

/**
 * Each documented operation that names its callers (the roles of its `serviceToken` requirement)
 * called with the credential of every service in `tokens`, with no body: a service the document
 * lists must get past the guard (anything but 401 and 403), every other one must get 403. This is
 * the attack on every route at once: a valid credential of a service the route is not for. Path
 * parameters are `sample`, except the one that must name the caller (`x-service-caller-param`),
 * which gets the caller's own name. Operations that name no callers are left out (and returned
 * as `unscoped`, so a test can require that there are none).
 */
export async function checkDocumentedCallers(
  app: FastifyInstance,
  document: OpenApiDocument,
  tokens: Record<string, string>,
  sample = 'sample',
): Promise<{ findings: string[]; checked: number; unscoped: string[] }> {
  const findings: string[] = [];
  const unscoped: string[] = [];
  let checked = 0;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const requirement = (operation.security ?? []).find((r) => 'serviceToken' in r);
      if (!requirement) continue;
      const roles = requirement.serviceToken as string[];
      const at = `${method.toUpperCase()} ${path}`;
      if (roles.length === 0) {
        unscoped.push(at);
        continue;
      }
      checked++;
      const param = operation['x-service-caller-param'] as string | undefined;
      for (const [caller, token] of Object.entries(tokens)) {
        const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) =>
          name === param ? caller : sample,
        );
        const response = await app.inject({
          method: method.toUpperCase() as HTTPMethods,
          url,
          headers: { 'x-service-token': token },
        });
        const admitted = roles.includes(caller);
        if (admitted && (response.statusCode === 401 || response.statusCode === 403))
          findings.push(`${at}: documented for ${caller}, which it refused with ${response.statusCode}`);
        if (!admitted && response.statusCode !== 403)
          findings.push(`${at}: not documented for ${caller}, which it answered ${response.statusCode}`);
      }
    }
  }
  return { findings, checked, unscoped };
}
