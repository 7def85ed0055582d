import type { EventEnvelope } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { scheduleConcerns } from './key-event-wakeup.ts';

const schedule = (tenant: string, keyName?: string) => ({
  apiVersion: 'parley.dev/v1alpha1',
  kind: 'KeyRotationSchedule',
  spec: { tenantRef: { name: tenant }, ...(keyName ? { keyName } : {}) },
});
const event = (tenant: string, payload: Record<string, unknown>) =>
  ({ tenant, type: 'crypto.key.rotated.v1', payload }) as unknown as EventEnvelope;

describe('scheduleConcerns', () => {
  it('matches the tenant and the key, the key defaulting to "default" as in the CRD', () => {
    expect(scheduleConcerns(schedule('acme'), event('acme', { keyName: 'default' }))).toBe(true);
    expect(scheduleConcerns(schedule('acme', 'exports'), event('acme', { keyName: 'exports' }))).toBe(true);
    expect(scheduleConcerns(schedule('acme', 'exports'), event('acme', { keyName: 'default' }))).toBe(false);
    expect(scheduleConcerns(schedule('globex'), event('acme', { keyName: 'default' }))).toBe(false);
  });

  it('wakes every schedule of the tenant for a key event that names no key', () => {
    expect(scheduleConcerns(schedule('acme', 'exports'), event('acme', {}))).toBe(true);
  });
});
