/**
 * The image for SERVICE=gateway, built by running the Dockerfile's own steps without Docker
 * (dockerfile-run.ts: a directory per stage, the real npm ci from the lockfile, the patches), then
 * started as the image starts it (its ENV, its WORKDIR, its CMD, on Node 24) with the settings a
 * chart gives it, against the stack's Redis: it must answer /health and /ready and stop cleanly on
 * SIGTERM. This proves that production dependencies alone run the service, that the pruned tree
 * holds everything it loads, and that no test or dev tool is in it. Not proven: the base image.
 * It is the slowest deploy test (every stage's npm ci, the web client's Vite build: minutes on a
 * loaded machine, less with npm's cache warm).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackSetting } from '../setup/stack-env.ts';
import { repoRoot } from './dockerfile.ts';
import { type BuiltImage, runDockerfile } from './dockerfile-run.ts';

let image: BuiltImage;
let service: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(() => {
  image = runDockerfile({ SERVICE: 'gateway' });
}, 900_000);

afterAll(() => {
  service?.kill('SIGKILL');
  if (image) rmSync(dirname(image.root), { recursive: true, force: true });
});

describe('the gateway image, built from the Dockerfile without Docker', () => {
  it('holds production dependencies only, patched, and no tests', () => {
    const app = join(image.root, 'app');
    expect(existsSync(join(app, 'service', 'src', 'main.ts'))).toBe(true);
    // The gateway's devDependency and the repository's tools stay out.
    for (const tool of ['openapi-typescript', 'vitest', 'typescript', '@biomejs/biome', 'patch-package']) {
      expect(existsSync(join(app, 'node_modules', tool)), tool).toBe(false);
    }
    // Only the workspaces the gateway uses are linked; no other service is in the image.
    const linked = readdirSync(join(app, 'node_modules', '@parley')).sort();
    expect(linked).toContain('kit');
    expect(linked).not.toContain('auth-service');
    expect(readdirSync(join(app, 'services'))).toEqual(['gateway']);
    expect(existsSync(join(app, 'operator'))).toBe(false);
    const files = filesUnder(join(app, 'services')).concat(filesUnder(join(app, 'packages')));
    expect(files.filter((f) => /\.test\.ts$|\/testing\/|\/test-vectors\//.test(f))).toEqual([]);
    // patches/ applied: kafkajs carries the project's fix.
    const admin = readFileSync(join(app, 'node_modules/kafkajs/src/admin/index.js'), 'utf8');
    expect(admin).toContain('Parley patch');
  });

  it('starts as the image starts it, answers /health and /ready, and stops cleanly', async () => {
    const port = await freePort();
    const [command, ...args] = image.cmd;
    expect(command).toBe('node');
    service = spawn(join(repoRoot, 'node_modules/.bin/node'), args, {
      cwd: join(image.root, image.workdir),
      // The image's ENV (PARLEY_ENV=production among them), then what the chart sets.
      env: {
        PATH: process.env.PATH ?? '',
        ...image.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        REDIS_URL: stackSetting('REDIS_URL'),
        SERVICE_TOKEN: randomBytes(24).toString('hex'),
        SERVICE_TOKENS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    service.stdout?.on('data', (d) => {
      output += d;
    });
    service.stderr?.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => service?.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    let ready: Response | undefined;
    while (Date.now() < deadline && service.exitCode === null) {
      ready = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
      if (ready?.status === 200) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(ready?.status, output).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    service.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  }, 120_000);
});
