/**
 * RFC 9457 problem details: the one error shape Parley's HTTP APIs answer with. `type` is a
 * stable URI a client can switch on; `detail` is for people; a stack trace never leaves the process.
 */
import { Type } from 'typebox';

export const PROBLEM_BASE = 'https://parley.dev/problems/';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: 'Each field that failed validation',
      }),
    ),
  },
  { $id: 'Problem', additionalProperties: true },
);

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

/** Throw this from a route or domain code to answer with a specific problem. */
export class ProblemError extends Error {
  readonly status: number;
  readonly problemType: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail?: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
    this.status = status;
    this.problemType = `${PROBLEM_BASE}${slug}`;
    this.title = title;
    this.extensions = extensions;
  }

  toProblem(instance?: string): Problem {
    return {
      type: this.problemType,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const problems = {
  badRequest: (detail: string) => new ProblemError(400, 'bad-request', 'Bad request', detail),
  unauthorized: (detail = 'Credentials are missing or invalid') =>
    new ProblemError(401, 'unauthorized', 'Unauthorized', detail),
  forbidden: (detail = 'Not allowed') => new ProblemError(403, 'forbidden', 'Forbidden', detail),
  notFound: (detail = 'Not found') => new ProblemError(404, 'not-found', 'Not found', detail),
  conflict: (detail: string) => new ProblemError(409, 'conflict', 'Conflict', detail),
  gone: (detail: string) => new ProblemError(410, 'gone', 'Gone', detail),
  tooManyRequests: (detail: string, retryAfterSeconds?: number) =>
    new ProblemError(429, 'too-many-requests', 'Too many requests', detail, {
      ...(retryAfterSeconds !== undefined ? { retryAfter: retryAfterSeconds } : {}),
    }),
  unavailable: (detail: string) =>
    new ProblemError(503, 'service-unavailable', 'Service unavailable', detail),
};
