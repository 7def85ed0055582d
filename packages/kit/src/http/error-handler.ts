/**
 * Turns every failure into problem details. Validation errors list each failing field; unknown
 * errors are logged with their stack and answered with a generic 500 that reveals nothing.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { PROBLEM_BASE, type Problem, ProblemError } from '../problem.ts';

const titles: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  429: 'Too many requests',
  503: 'Service unavailable',
};

function slugOf(title: string): string {
  return title.toLowerCase().replaceAll(' ', '-');
}

function toProblem(error: FastifyError, instance: string): Problem {
  if (error instanceof ProblemError) return error.toProblem(instance);
  if (error.validation) {
    return {
      type: `${PROBLEM_BASE}validation`,
      title: 'Request validation failed',
      status: 400,
      detail: `The request ${error.validationContext ?? 'input'} is invalid`,
      instance,
      errors: error.validation.map((v) => ({
        path: `${error.validationContext ?? ''}${v.instancePath || ''}`,
        message:
          typeof v.params?.missingProperty === 'string'
            ? `must have property '${v.params.missingProperty}'`
            : (v.message ?? 'is invalid'),
      })),
    };
  }
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) {
    return { type: `${PROBLEM_BASE}internal`, title: 'Internal error', status, instance };
  }
  const title = titles[status] ?? 'Request error';
  // Fastify's own client errors (bad JSON, body too large) carry safe, useful messages.
  return { type: `${PROBLEM_BASE}${slugOf(title)}`, title, status, detail: error.message, instance };
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error, request.url);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ problem: problem.type, status: problem.status }, 'request refused');
    const retryAfter = problem.retryAfter;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const problem: Problem = {
      type: `${PROBLEM_BASE}not-found`,
      title: 'Not found',
      status: 404,
      detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
      instance: request.url,
    };
    return reply.status(404).type('application/problem+json').send(problem);
  });
}
