// Vitest global setup: the stack up once per run (started, or reused when already up), and its
// connection settings exported into process.env before the test workers are forked, so every
// test reads MONGO_URL, REDIS_URL, ... as a service would.
import { ensureStackUp, stopStack } from '@parley/dev';

export default async function setup(): Promise<() => Promise<void>> {
  const { env, startedHere } = await ensureStackUp();
  Object.assign(process.env, env);
  return async () => {
    // A stack that was already up (npm test, npm start, or a teammate) is left running.
    if (startedHere) await stopStack();
  };
}
