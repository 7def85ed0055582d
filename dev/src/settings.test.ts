import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSettings } from './settings.ts';

describe('stack settings', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('shifts every port by the offset, and a pinned port wins', () => {
    vi.stubEnv('PARLEY_STACK_PORT_OFFSET', '20');
    vi.stubEnv('PARLEY_STACK_PORT_KAFKA', '29092');
    const { ports } = loadSettings();
    expect(ports.redis).toBe(16399);
    expect(ports.elasticsearch).toBe(9270);
    expect(ports.kafka).toBe(29092);
  });

  it('names the variable when a port is not a number', () => {
    vi.stubEnv('PARLEY_STACK_PORT_OFFSET', 'ten');
    expect(() => loadSettings()).toThrow(/PARLEY_STACK_PORT_OFFSET/);
  });
});
