// `npm start`: the stack, then every service under services/<name>/src/main.ts with the stack's
// settings; each line of a service's output is prefixed with its name. Ctrl-C or SIGTERM stops
// the services (they drain), then the stack if this command started it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { developmentServiceToken } from '@parley/kit/service-credentials';
import { loadSettings, repoRoot } from '../settings.ts';
import { ensureStackUp, stopStack } from '../stack/index.ts';
import { say } from '../stack/output.ts';
import { applyDemoTenant, installCustomResourceDefinitions, OPERATOR_MAIN } from './demo-tenant.ts';

interface ServiceEntry {
  name: string;
  main: string;
  port: number | undefined;
  /** Settings of this one process (a further replica's PORT). */
  env?: Record<string, string>;
}

export function discoverServices(): ServiceEntry[] {
  const root = join(repoRoot, 'services');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'src', 'main.ts')))
    .flatMap((d) => {
      let port: number | undefined;
      let replicaPorts: number[] = [];
      try {
        const pkg = JSON.parse(readFileSync(join(root, d.name, 'package.json'), 'utf8')) as {
          parley?: { port?: number; replicaPorts?: number[] };
        };
        port = pkg.parley?.port;
        replicaPorts = pkg.parley?.replicaPorts ?? [];
      } catch {
        /* no package.json: port unknown */
      }
      const main = join(root, d.name, 'src', 'main.ts');
      // A service run as several replicas (socket: `replicaPorts`) gets one process per further port.
      const more = replicaPorts
        .filter((p) => p !== port)
        .map((p, i) => ({ name: `${d.name}-${i + 2}`, main, port: p, env: { PORT: String(p) } }));
      return [{ name: d.name, main, port }, ...more];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function prefixLines(name: string, stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => out.write(`[${name}] ${line}\n`));
}

/** The gateway serves web/dist/client at `/`: built here (a second with Vite) from the checkout. */
async function buildWebClient(): Promise<void> {
  const web = join(repoRoot, 'web');
  if (!existsSync(join(web, 'index.html'))) return;
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], {
      cwd: web,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  say(code === 0 ? '  web client   built (web/dist/client)' : `  web client   build failed (exit ${code})`);
}

export async function startCommand(): Promise<number> {
  const settings = loadSettings();
  const { env, startedHere } = await ensureStackUp({ settings });
  const services = discoverServices();
  // The operator runs beside the services against the stack's kube-apiserver, as in a cluster.
  const withOperator = existsSync(OPERATOR_MAIN);
  if (withOperator) {
    await installCustomResourceDefinitions(env);
    services.push({ name: 'operator', main: OPERATOR_MAIN, port: undefined });
  }
  await buildWebClient();
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const demoCheck = new AbortController();
  let exitCode = 0;

  const done = new Promise<void>((resolve) => {
    const shutdown = async (reason: string) => {
      if (stopping) return;
      stopping = true;
      demoCheck.abort();
      say(`\n${reason}: stopping ${children.size} service(s)…`);
      for (const child of children.values()) child.kill('SIGTERM');
      const deadline = Date.now() + 15_000; // services drain in-flight work on SIGTERM
      while (
        [...children.values()].some((c) => c.exitCode === null && c.signalCode === null) &&
        Date.now() < deadline
      ) {
        await sleep(100);
      }
      for (const child of children.values())
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (startedHere) {
        say('stopping the stack…');
        await stopStack(settings);
      } else
        say('the stack was already up before `npm start`, so it stays up (npm run stack -- down stops it)');
      resolve();
    };
    process.on('SIGINT', () => void shutdown('Ctrl-C'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGHUP', () => void shutdown('SIGHUP'));

    for (const service of services) {
      // kafkajs 2.2.4 sets a negative timer that Node 24 warns about on every start; it is harmless.
      const nodeArgs = ['--disable-warning=TimeoutNegativeWarning', ...settings.serviceNodeArgs];
      const child = spawn(process.execPath, [...nodeArgs, service.main], {
        cwd: join(service.main, '..', '..'),
        // npm start's operator watches the `parley` namespace only, so it never competes with the
        // operators that tests start in namespaces of their own on the same kube-apiserver.
        env: {
          ...process.env,
          ...env,
          OPERATOR_WATCH_NAMESPACE: 'parley',
          OPERATOR_NAMESPACE: 'parley-system',
          ...service.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.set(service.name, child);
      prefixLines(service.name, child.stdout, process.stdout);
      prefixLines(service.name, child.stderr, process.stderr);
      child.on('exit', (code, signal) => {
        if (stopping) return;
        say(`[${service.name}] exited (${signal ?? code}); stopping everything`);
        exitCode = 1;
        void shutdown(`${service.name} exited`);
      });
    }
  });

  say('');
  if (services.length === 0)
    say('no services yet (services/<name>/src/main.ts); the stack runs until Ctrl-C');
  for (const s of services)
    say(`  ${s.name.padEnd(12)} ${s.port ? `http://127.0.0.1:${s.port}` : 'running'}`);
  const gateway = services.find((s) => s.name === 'gateway');
  if (gateway?.port) say(`  ${'web client'.padEnd(12)} http://127.0.0.1:${gateway.port}/`);
  // Where the notifier's mail lands (the stack's Mailpit): invitations, sign-up links, resets.
  if (env.MAILPIT_URL)
    say(`  ${'mail'.padEnd(12)} ${env.MAILPIT_URL}/ (Mailpit: every mail the notifier sends)`);
  if (withOperator) {
    const url = (name: string) => `http://127.0.0.1:${services.find((s) => s.name === name)?.port ?? 0}`;
    await applyDemoTenant(
      env,
      {
        authUrl: url('auth'),
        complianceUrl: url('compliance'),
        webUrl: url('gateway'),
        // The development credentials the services accept on the stack (packages/kit): the
        // operator's opens auth's invitations, the gateway's reads a tenant's audit log.
        operatorToken: developmentServiceToken('operator'),
        gatewayToken: developmentServiceToken('gateway'),
      },
      demoCheck.signal,
    );
  }
  say('\nCtrl-C stops everything.');
  // Signal handlers alone do not keep Node's event loop alive (with no services, nothing would).
  const keepAlive = setInterval(() => {}, 60_000);
  await done;
  clearInterval(keepAlive);
  return exitCode;
}
