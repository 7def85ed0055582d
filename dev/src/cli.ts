// Entry point of `npm start | test | bench | run stack | run screenshots`, called by dev/bootstrap.sh on Node 24.
import { benchCommand } from './commands/bench.ts';
import { screenshotsCommand } from './commands/screenshots.ts';
import { stackCommand } from './commands/stack.ts';
import { startCommand } from './commands/start.ts';
import { testCommand } from './commands/test.ts';

const commands: Record<string, (args: string[]) => Promise<number>> = {
  stack: stackCommand,
  test: testCommand,
  start: startCommand,
  bench: benchCommand,
  screenshots: screenshotsCommand,
};

// kafkajs 2.2.4 arms timers with negative delays on Node 22+; Node clamps them to 1 ms and warns.
// The warning is noise in every probe, so it alone is dropped.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning')
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const [name = '', ...args] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  process.stderr.write(`usage: dev/bootstrap.sh ${Object.keys(commands).join(' | ')} [args]\n`);
  process.exit(2);
}
try {
  process.exitCode = await command(args);
} catch (error) {
  process.stderr.write(`\n✗ ${(error as Error).message}\n`);
  process.exitCode = 1;
}
