/**
 * A service's refusal, as the gateway answers it: the service's problem handed on (status, type
 * slug, title, detail, extensions); no usable answer (unreachable, timed out, breaker open, a
 * 5xx) is upstream-call.ts's 503 for that service. For the services reached through a typed
 * client on @parley/service-http (search, media).
 */
import { ProblemError } from '@parley/kit';
import { ServiceProblemError } from '@parley/service-http';
import type { FastifyRequest } from 'fastify';
import { unavailableProblem } from '../upstream/upstream-call.ts';

export function asUpstreamProblem(error: unknown, request: FastifyRequest, service: string): unknown {
  if (!(error instanceof ServiceProblemError)) return error;
  if (error.status >= 500) return unavailableProblem(error, request, service);
  const { type: _t, title: _ti, status: _s, detail: _d, instance: _i, ...extensions } = error.problem;
  const slug = error.code.startsWith('http-') ? 'request-refused' : error.code;
  return new ProblemError(error.status, slug, error.title, error.detail, extensions);
}
