/**
 * What the OpenAPI document says about each route beyond its JSON schemas, derived once here so no
 * route has to repeat it: an operation id and tags from the path, the security its guard hooks
 * enforce (route-security.ts), whether it is internal, and problem-details answers. A route's own
 * `operationId`, `tags` or `security` wins over the derived ones.
 *
 * Runs as @fastify/swagger's `transform`: it shapes the document only, never the route's runtime
 * validation or serialization.
 */
import type { FastifySchema, RouteOptions } from 'fastify';
import { ProblemSchema } from '../problem.ts';
import { routeSchemes } from './route-security.ts';
import { routeServiceCallers } from './service-auth.ts';

/** The extension that says whether an operation is for other Parley components only. */
export const INTERNAL_EXTENSION = 'x-internal';
/** The extension naming the path parameter that must be the calling service's own name. */
export const SERVICE_CALLER_PARAM_EXTENSION = 'x-service-caller-param';
/** The extension naming the body field that must be the calling service's own name. */
export const SERVICE_CALLER_BODY_FIELD_EXTENSION = 'x-service-caller-body-field';

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

// Path segments that say where an operation lives rather than what it is about.
const isScaffolding = (segment: string) =>
  segment === 'v1' || segment === 'internal' || segment === 'tenants' || segment.startsWith(':');

function words(segment: string): string[] {
  return segment.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** `POST /v1/tenants/:tenant/keys/:keyName/rotate` → `postKeysByKeyNameRotate`. */
export function operationIdOf(method: string, url: string): string {
  const segments = url.split('/').filter(Boolean);
  const parts: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    // The version and the tenant every tenant route carries add nothing to the name.
    if (segment === 'v1') continue;
    if (segment === 'tenants' && segments[i + 1] === ':tenant') {
      i++;
      continue;
    }
    if (segment.startsWith(':')) parts.push('By', ...words(segment.slice(1)).map(capitalised));
    else if (segment === 'internal') parts.push('Internal');
    else parts.push(...words(segment).map(capitalised));
  }
  return `${method.toLowerCase()}${parts.join('')}`;
}

/** The first segment that names a subject: `/v1/tenants/:tenant/audit/records` → `audit`. */
export function tagOf(url: string): string {
  const subject = url
    .split('/')
    .filter(Boolean)
    .find((segment) => !isScaffolding(segment));
  return subject?.replace(/^\.+/, '') ?? 'service';
}

const problemAnswer = (description: string) => ({
  description,
  content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemSchema } },
});

const isProblemSchema = (schema: unknown) =>
  schema === ProblemSchema || (schema as { $id?: unknown } | undefined)?.$id === 'Problem';

/**
 * Every error is answered as problem details (error-handler.ts), with the problem media type, so
 * the ranges are documented on every operation and the route's own problem entries say so too.
 */
function withProblems(response: FastifySchema['response']): Record<string, unknown> {
  const answers: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries((response ?? {}) as Record<string, unknown>)) {
    answers[status] = isProblemSchema(schema) ? problemAnswer(`Refused (${status})`) : schema;
  }
  answers['4XX'] ??= problemAnswer('The request was refused: problem details say why');
  answers['5XX'] ??= problemAnswer(
    'The service failed or is unavailable: problem details, never a stack trace',
  );
  return answers;
}

const { $id: _problemId, ...problemBody } = ProblemSchema as typeof ProblemSchema & { $id: string };
const PROBLEM_JSON = JSON.stringify(problemBody);
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

function referenceProblems(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'schema' && JSON.stringify(value) === PROBLEM_JSON) {
      (node as Record<string, unknown>)[key] = PROBLEM_REF;
    } else referenceProblems(value);
  }
}

/**
 * @fastify/swagger's transformObject: each copy of the problem schema it inlined becomes one
 * reference to `components.schemas.Problem`, so the document states the shape once.
 */
export function referenceProblemSchema({ openapiObject }: { openapiObject: Record<string, unknown> }) {
  referenceProblems(openapiObject.paths);
  const components = (openapiObject.components ?? {}) as { schemas?: Record<string, unknown> };
  components.schemas = { ...components.schemas, Problem: problemBody };
  openapiObject.components = components;
  return openapiObject;
}

/**
 * What text-input.ts refuses, stated in the request schemas: no U+0000, as a pattern added to each
 * free-text string (no pattern, format, enum or const of its own: those already exclude it) and as
 * the key rule of each open object. Unpaired surrogates are refused too, but stay out of the
 * pattern: Rust-based validators (schemathesis' among them) cannot compile a surrogate class and
 * would drop the whole pattern; I-JSON (RFC 7493) already rules such strings out of JSON text,
 * and the document's description says so.
 */
export const TEXT_PATTERN = '^[^\\u0000]*$';
export const TEXT_RULE =
  'Every string of a request (path, query, body, object keys) must be well-formed Unicode without U+0000 (I-JSON, RFC 7493): anything else is refused 400 validation.';
// Keywords whose values are data, not schemas.
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example', 'required']);

export function withTextRule(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withTextRule);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node))
    out[key] = DATA_KEYWORDS.has(key) ? value : withTextRule(value);
  const free = (k: string) => !(k in out);
  if (out.type === 'string' && free('pattern') && free('format') && free('enum') && free('const')) {
    out.pattern = TEXT_PATTERN;
  }
  if (out.type === 'object' && out.additionalProperties !== false && free('propertyNames')) {
    out.propertyNames = { pattern: TEXT_PATTERN };
  }
  return out;
}

const INPUTS = ['params', 'querystring', 'body'] as const;

/** The operation's description with who may call it, for readers of the UI (which hides roles). */
function withCallers(description: unknown, callers: readonly string[], param: string | undefined): string {
  const who = `Accepts the service credential of: ${callers.join(', ')}${
    param ? ` (and only for the service its \`${param}\` names)` : ''
  }.`;
  return typeof description === 'string' && description !== '' ? `${description}\n\n${who}` : who;
}

export interface DocumentedRoute {
  schema?: FastifySchema;
  url: string;
  route: RouteOptions;
}

/** @fastify/swagger's transform: the route's schema as the document shows it. */
export function documentRoute({ schema, url, route }: DocumentedRoute): {
  schema: FastifySchema;
  url: string;
} {
  const own = (schema ?? {}) as FastifySchema & Record<string, unknown>;
  if (own.hide) return { schema: own, url };
  const method = Array.isArray(route.method) ? (route.method[0] as string) : route.method;
  const schemes = routeSchemes(route);
  // OpenAPI 3.1 lets a requirement of a non-OAuth scheme list roles: here, the services whose
  // credential the route accepts (service-auth.ts, `config.serviceCallers`).
  const { callers, param, bodyField } = routeServiceCallers(route);
  const rolesOf = (scheme: string) => (scheme === 'serviceToken' && callers ? [...callers] : []);
  const security =
    own.security ?? (schemes.length > 0 ? [Object.fromEntries(schemes.map((s) => [s, rolesOf(s)]))] : []);
  const internal = security.some((requirement) => 'serviceToken' in requirement);
  const inputs = Object.fromEntries(
    INPUTS.filter((input) => own[input] !== undefined).map((input) => [input, withTextRule(own[input])]),
  );
  return {
    url,
    schema: {
      ...own,
      ...inputs,
      operationId: own.operationId ?? operationIdOf(method, url),
      tags: own.tags ?? [tagOf(url)],
      security,
      [INTERNAL_EXTENSION]: own[INTERNAL_EXTENSION] ?? internal,
      ...(internal && param ? { [SERVICE_CALLER_PARAM_EXTENSION]: param } : {}),
      ...(internal && bodyField ? { [SERVICE_CALLER_BODY_FIELD_EXTENSION]: bodyField } : {}),
      ...(internal && callers && !own.security
        ? { description: withCallers(own.description, callers, param ?? bodyField) }
        : {}),
      response: withProblems(own.response),
    } as FastifySchema,
  };
}
