/**
 * A validator without type coercion, for bodies whose values are kept and hashed as given. The
 * kit's Ajv coerces (so query strings can carry numbers), and on a union such as an audit
 * metadata value (string | number | boolean | null) it would turn 5 into "5" silently: the
 * stored record would differ from the one submitted. TypeBox's compiler checks without changing.
 * Failures keep Ajv's error shape, so they become the same validation problem details.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

export const strictValidator: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const compiled = Compile(schema);
  return (data: unknown) =>
    compiled.Check(data)
      ? { value: data }
      : {
          error: [...compiled.Errors(data)].slice(0, 20).map((e) => ({
            instancePath: e.instancePath,
            message: e.message,
            params: {},
            keyword: 'strict',
            schemaPath: '',
          })) as never,
        };
};
