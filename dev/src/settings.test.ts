import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSettings } from './settings.ts';

describe('stack settings', () => {
  // loadSettings reads process.env: a port the caller pinned (a second stack run beside the
  // shared one sets PARLEY_STACK_PORT_OFFSET and a few PARLEY_STACK_PORT_<SERVER>) must not leak
  // into what these tests expect, so each starts from none of them.
  beforeEach(() => {
    for (const name of Object.keys(process.env))
      if (name.startsWith('PARLEY_STACK_PORT_')) vi.stubEnv(name, undefined);
  });
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
