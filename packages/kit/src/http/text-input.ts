/**
 * Every string a request carries (path parameters, query, JSON body, object keys included) must be
 * well-formed Unicode without U+0000, or the request is refused 400 before validation.
 *
 * Why at the door, for every service: PostgreSQL, under the local FerretDB, cannot store U+0000
 * in a document (SQLSTATE 22P05), so such a string reached the store and answered 500 (schemathesis
 * found it on every compliance route that writes or queries text); and an unpaired surrogate is
 * silently replaced by U+FFFD when the driver encodes BSON, so what is stored differs from what
 * was received (an audit record hashed as sent would no longer match its stored self). Neither
 * has a meaning in any Parley input; binary values travel as base64.
 *
 * Only what a parser makes of text is walked: strings, arrays and plain objects (a JSON body, a
 * parsed query). A body a route's content-type parser hands over as a stream (an upload passed
 * through) is bytes, not text, and a stream's internals refer back to themselves: walked, they
 * kept this check looping on the event loop forever. Anything seen twice is walked once.
 */
import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../problem.ts';

const acceptable = (text: string) => !text.includes('\u0000') && text.isWellFormed();

/**
 * An object as JSON.parse or a querystring parser makes it, not a stream, a Buffer or another
 * class's instance. The router's params and the querystring parser's result are dictionaries
 * whose prototype is itself an empty object without a prototype, so that counts too.
 */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  // Object.prototype's own prototype is null as well.
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** The path of the first unacceptable string in `value` (walked without recursion), if any. */
export function findUnacceptableText(value: unknown, root: string): string | undefined {
  const pending: [unknown, string][] = [[value, root]];
  const seen = new WeakSet<object>();
  while (pending.length > 0) {
    const [current, path] = pending.pop() as [unknown, string];
    if (typeof current === 'string') {
      if (!acceptable(current)) return path;
      continue;
    }
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) pending.push([current[i], `${path}/${i}`]);
    } else if (isPlainObject(current)) {
      for (const [key, item] of Object.entries(current)) {
        if (!acceptable(key)) return path;
        pending.push([item, `${path}/${key}`]);
      }
    }
  }
  return undefined;
}

export function installTextInputCheck(app: FastifyInstance): void {
  // Callback style: this runs on every request with input.
  app.addHook('preValidation', (request, _reply, done) => {
    const path =
      findUnacceptableText(request.params, 'params') ??
      findUnacceptableText(request.query, 'querystring') ??
      findUnacceptableText(request.body, 'body');
    if (!path) return done();
    done(
      new ProblemError(
        400,
        'validation',
        'Request validation failed',
        `The request ${path.split('/')[0]} is invalid`,
        {
          errors: [{ path, message: 'must be well-formed Unicode without U+0000' }],
        },
      ),
    );
  });
}
