import { defineConfig } from 'vitest/config';

// One config for the whole repo: unit tests beside the code and the tests/ workspace alike.
// The global setup brings the local stack up (or reuses it) once per run; tests talk to real servers.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.parley/**'],
    globalSetup: ['tests/setup/stack.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
