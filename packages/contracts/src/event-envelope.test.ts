import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { createEvent, decodeEnvelope, defineEvent, InvalidEventError, parseEvent } from './event-envelope.ts';

const SampleCreated = defineEvent('sample.thing.created.v2', Type.Object({ name: Type.String() }));

describe('event envelope', () => {
  it('creates a valid envelope with the version from the type', () => {
    const event = createEvent(SampleCreated, { tenant: 'acme', source: 'sample', payload: { name: 'x' } });
    expect(event).toMatchObject({ type: 'sample.thing.created.v2', schemaVersion: 2, tenant: 'acme' });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseEvent(SampleCreated, JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses a malformed envelope, payload or type name with the reason', () => {
    const event = createEvent(SampleCreated, { tenant: 'acme', source: 'sample', payload: { name: 'x' } });
    expect(() => parseEvent(SampleCreated, { ...event, tenant: 'Not A Label' })).toThrow(InvalidEventError);
    expect(() => parseEvent(SampleCreated, { ...event, payload: { name: 7 } })).toThrow(/payload\/name/);
    expect(() => parseEvent(SampleCreated, { ...event, extra: true })).toThrow(InvalidEventError);
    expect(() => decodeEnvelope(Buffer.from('{not json'))).toThrow(/not JSON/);
    expect(() => defineEvent('BadType', Type.Object({}))).toThrow(/<domain>\.<entity>\.<event>\.v<N>/);
  });
});
