/**
 * A call from a public route to the service behind it, through @parley/service-http's proxy mode
 * (`sendRaw`): the service's credential, timeouts, the target's circuit breaker, and retries only
 * for what is safe to repeat (an idempotent method), so a sign-in or a send is never performed
 * twice by the gateway.
 *
 * What the service answers below 500 (status, the headers a client needs, the body's bytes) is
 * handed back as it came, a problem included. A service that cannot be reached, times out,
 * answers 5xx or whose breaker is open gets the client a 503 problem for that service's routes
 * only; the service's own 5xx body is never shown.
 */
import { ProblemError } from '@parley/kit';
import { type RawServiceResponse, type ServiceHttp, ServiceProblemError } from '@parley/service-http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string | undefined>;
}

export type UpstreamAnswer = RawServiceResponse;

/** The answer's headers a client of the gateway needs (never hop-by-hop ones or the server's own). */
const PASSED_BACK = [
  'www-authenticate',
  'retry-after',
  'content-disposition',
  'cache-control',
  'location',
  'etag',
];

/** Calls a service with what every call carries (request id, client address, user agent). */
export async function callUpstream(
  upstream: ServiceHttp,
  request: FastifyRequest,
  call: UpstreamRequest,
): Promise<UpstreamAnswer> {
  const userAgent = request.headers['user-agent'];
  const headers: Record<string, string> = { 'x-forwarded-for': request.ip };
  if (typeof userAgent === 'string') headers['user-agent'] = userAgent;
  for (const [name, value] of Object.entries(call.headers ?? {})) if (value) headers[name] = value;
  try {
    return await upstream.sendRaw({
      method: call.method,
      path: `${call.path}${queryString(call.query)}`,
      ...(call.body === undefined ? {} : { body: call.body }),
      requestId: request.id,
      headers,
    });
  } catch (error) {
    throw unavailableProblem(error, request, upstream.service);
  }
}

/**
 * The 503 a client gets when a service gives no usable answer (unreachable, timed out, breaker
 * open, or a 5xx of its own); any other error as it was.
 */
export function unavailableProblem(error: unknown, request: FastifyRequest, service: string): unknown {
  if (!(error instanceof ServiceProblemError && error.status >= 500)) return error;
  request.log.warn({ upstream: service, reason: error.message }, 'upstream unavailable');
  return new ProblemError(
    503,
    'service-unavailable',
    'Service unavailable',
    `The ${service} service is unavailable; try again shortly`,
    { retryAfter: 5, service },
  );
}

/** The service's answer, as it came: status, the headers a client needs, the body's bytes. */
export function sendAnswer(reply: FastifyReply, answer: UpstreamAnswer): FastifyReply {
  reply.status(answer.status);
  for (const name of PASSED_BACK) {
    const value = answer.headers.get(name);
    if (value !== null) reply.header(name, value);
  }
  if (answer.status === 204 || answer.body.length === 0) return reply.send();
  const contentType = answer.headers.get('content-type');
  if (contentType) reply.type(contentType);
  return reply.send(answer.body);
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
