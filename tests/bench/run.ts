/**
 * `npm run bench [name-filter] [--check] [--readme]`: see bench-command.ts and tests/bench/README.md.
 * The dev CLI has already brought the local stack up and put its settings in the environment
 * (`--readme` needs no stack: `node_modules/.bin/node tests/bench/run.ts --readme` runs it alone).
 */
import { resolve } from 'node:path';
import { benchCommand } from './bench-command.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

process.exitCode = await benchCommand(process.argv.slice(2), {
  benchDir: resolve(import.meta.dirname, 'benchmarks'),
  resultsDir: resolve(repoRoot, 'bench/results'),
  readme: resolve(repoRoot, 'README.md'),
  repoRoot,
});
