/**
 * Problem details for what Fastify refuses before any route or hook runs: a malformed URL
 * (FST_ERR_BAD_URL, 400) and a path parameter over the router's length limit
 * (FST_ERR_MAX_PARAM_LENGTH, 414). Left to Fastify, both answer a JSON body of its own shape under
 * application/json, the one answer of a Parley service that would not be problem details
 * (schemathesis found the 414 on every route with a path parameter).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_BASE, type Problem } from '../problem.ts';

const KNOWN: Record<string, { slug: string; title: string; detail: string }> = {
  FST_ERR_BAD_URL: { slug: 'bad-request', title: 'Bad request', detail: 'The URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: {
    slug: 'uri-too-long',
    title: 'URI too long',
    detail: 'A path parameter is longer than the router accepts',
  },
};

/** Fastify's `frameworkErrors` option. The request id header is set here: no onRequest hook ran. */
export function answerFrameworkError(requestIdHeader: string) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const known = error.code ? KNOWN[error.code] : undefined;
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    const problem: Problem =
      known && status < 500
        ? {
            type: `${PROBLEM_BASE}${known.slug}`,
            title: known.title,
            status,
            detail: known.detail,
          }
        : { type: `${PROBLEM_BASE}internal`, title: 'Internal error', status: 500 };
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ problem: problem.type, status }, 'request refused');
    reply.header(requestIdHeader, request.id).status(status).type('application/problem+json').send(problem);
  };
}
