// A minimal main.ts for the runService test: one slow route, two workers and a client, run by
// runService as every service's main is. It says on stdout what happens, one word a line, so the
// test can follow the shutdown from outside the process, as an orchestrator would see it.
// argv: <port> <shutdown timeout ms> [fail-to-start]. A line on stdin releases the slow request.
import { createInterface } from 'node:readline';
import { createServiceApp } from '../http/create-service-app.ts';
import { runService } from '../lifecycle.ts';
import { worker } from '../worker.ts';
import { createSilentLogger } from './index.ts';

const [port = '0', timeout = '10000', failing] = process.argv.slice(2);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const released = Promise.withResolvers<void>();
createInterface({ input: process.stdin }).once('line', () => released.resolve());

const app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
app.get('/slow', async () => {
  say('entered');
  await released.promise;
  return { done: true };
});
app.addHook('preClose', async () => say('draining'));
app.addHook('onReady', async () => say('ready'));

const part = (name: string) =>
  worker(name, {
    start: () => {
      if (name === failing) throw new Error(`${name} cannot start`);
      say(`started ${name}`);
    },
    stop: async () => say(`stopped ${name}`),
  });

await runService({
  app,
  logger: createSilentLogger(),
  host: '127.0.0.1',
  port: Number(port),
  shutdownTimeoutMs: Number(timeout),
  workers: [part('consumer'), part('relay')],
  stoppables: [{ name: 'cache', stop: async () => say('stopped cache') }],
  clients: [{ name: 'mongodb', stop: async () => say('stopped mongodb') }],
});
say('listening');
