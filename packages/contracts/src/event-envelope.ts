/**
 * The one envelope every Kafka event travels in. A consumer validates the envelope and then the
 * payload against the schema registered for its type, so a malformed event is refused at the
 * boundary (and parked, never silently dropped) instead of failing deep in a handler.
 */
import { randomUUID } from 'node:crypto';
import { TenantIdSchema } from '@parley/tenancy';
import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';

/** `<domain>.<entity>.<event>.v<N>`, e.g. `crypto.key.rotated.v1`. */
export const EVENT_TYPE_PATTERN = '^[a-z]+(-[a-z]+)*\\.[a-z]+(-[a-z]+)*\\.[a-z]+(-[a-z]+)*\\.v[1-9][0-9]*$';

export const EventEnvelopeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Unique per event; consumers deduplicate on it' }),
    type: Type.String({ pattern: EVENT_TYPE_PATTERN }),
    tenant: TenantIdSchema,
    time: Type.String({ format: 'date-time' }),
    schemaVersion: Type.Integer({ minimum: 1 }),
    source: Type.String({ minLength: 1, description: 'The service or operator that produced it' }),
    correlationId: Type.Optional(Type.String({ maxLength: 128 })),
    payload: Type.Unknown(),
  },
  { additionalProperties: false },
);

export type EventEnvelope<P = unknown> = Omit<Static<typeof EventEnvelopeSchema>, 'payload'> & { payload: P };

export interface EventDefinition<S extends TSchema = TSchema> {
  type: string;
  schemaVersion: number;
  payload: S;
}

export class InvalidEventError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid event: ${problems.join('; ')}`);
    this.name = 'InvalidEventError';
    this.problems = problems;
  }
}

const envelopeValidator = Compile(EventEnvelopeSchema);

/** Declares an event type and its payload schema; the version is read from the type's suffix. */
export function defineEvent<S extends TSchema>(type: string, payload: S): EventDefinition<S> {
  const version = /\.v([1-9][0-9]*)$/.exec(type);
  if (!new RegExp(EVENT_TYPE_PATTERN).test(type) || !version?.[1]) {
    throw new Error(`Event type ${type} must look like <domain>.<entity>.<event>.v<N>`);
  }
  return { type, schemaVersion: Number(version[1]), payload };
}

export function createEvent<S extends TSchema>(
  definition: EventDefinition<S>,
  fields: {
    tenant: string;
    source: string;
    payload: Static<S>;
    correlationId?: string;
    id?: string;
    time?: Date;
  },
): EventEnvelope<Static<S>> {
  const event = {
    id: fields.id ?? randomUUID(),
    type: definition.type,
    tenant: fields.tenant,
    time: (fields.time ?? new Date()).toISOString(),
    schemaVersion: definition.schemaVersion,
    source: fields.source,
    ...(fields.correlationId ? { correlationId: fields.correlationId } : {}),
    payload: fields.payload,
  };
  // Validate on the way out too: a producer bug should fail loudly where it is made.
  return parseEvent(definition, event);
}

function describeErrors(errors: { instancePath: string; message: string }[]): string[] {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** Checks an unknown value (say, a decoded Kafka message) against the envelope and one definition. */
export function parseEvent<S extends TSchema>(
  definition: EventDefinition<S>,
  value: unknown,
): EventEnvelope<Static<S>> {
  const envelope = parseEnvelope(value);
  if (envelope.type !== definition.type) {
    throw new InvalidEventError([`expected type ${definition.type}, got ${envelope.type}`]);
  }
  const validator = compiledPayload(definition);
  if (!validator.Check(envelope.payload)) {
    throw new InvalidEventError(describeErrors(validator.Errors(envelope.payload)).map((p) => `payload${p}`));
  }
  return envelope as EventEnvelope<Static<S>>;
}

export function parseEnvelope(value: unknown): EventEnvelope {
  if (!envelopeValidator.Check(value))
    throw new InvalidEventError(describeErrors(envelopeValidator.Errors(value)));
  return value as EventEnvelope;
}

/** Decodes a Kafka message value: JSON, then the envelope. */
export function decodeEnvelope(raw: Buffer | string | null): EventEnvelope {
  if (raw === null) throw new InvalidEventError(['message has no value']);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch {
    throw new InvalidEventError(['message value is not JSON']);
  }
  return parseEnvelope(value);
}

const compiled = new WeakMap<EventDefinition, ReturnType<typeof Compile>>();
function compiledPayload(definition: EventDefinition): ReturnType<typeof Compile> {
  let validator = compiled.get(definition);
  if (!validator) {
    validator = Compile(definition.payload);
    compiled.set(definition, validator);
  }
  return validator;
}
