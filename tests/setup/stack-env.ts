// The stack's connection settings as the tests see them (exported by tests/setup/stack.ts).
export function stackSetting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through vitest with tests/setup/stack.ts`);
  return value;
}

/** A suffix that keeps names of concurrent or repeated runs apart. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
