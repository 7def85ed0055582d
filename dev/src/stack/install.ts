// `stack install`: fetches or builds every server into the cache, each at most once.
// Each build runs a readable shell recipe from dev/install/, logs to <cache>/logs/, and lands in
// its versioned folder only when it succeeded (build in a scratch folder, marker, then rename).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type Settings } from '../settings.ts';
import { type Installable, installables, installDir, installMarker } from './catalog.ts';
import { formatDuration, say } from './output.ts';

export class InstallError extends Error {}

export async function installStack(settings: Settings): Promise<void> {
  const started = Date.now();
  mkdirSync(join(settings.cacheDir, 'logs'), { recursive: true });
  const pending = installables.filter((item) => !isInstalled(settings, item));
  const builds = pending.filter((item) => item.kind === 'cache');
  if (builds.length > 0) {
    say(`stack install: ${builds.map((i) => `${i.name} ${i.version}`).join(', ')} → ${settings.cacheDir}`);
  }
  // Go builds saturate both cores, so they run one after another; apt and Maven downloads
  // are mostly network and overlap with them.
  const lane = async (name: Installable['lane']) => {
    for (const item of pending.filter((i) => i.lane === name)) await installOne(settings, item);
  };
  const results = await Promise.allSettled([lane('io'), lane('cpu')]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  say(
    builds.length > 0
      ? `stack install: done in ${formatDuration(Date.now() - started)}`
      : `stack install: everything cached in ${settings.cacheDir}`,
  );
}

export function isInstalled(settings: Settings, item: Installable): boolean {
  // System packages are checked by their script, which returns at once when present.
  return item.kind === 'cache' && existsSync(join(installDir(settings, item), installMarker));
}

async function installOne(settings: Settings, item: Installable): Promise<void> {
  const label = `${item.name} ${item.version}`;
  const logFile = join(settings.cacheDir, 'logs', `${item.name}-${item.version}.log`);
  const dest = installDir(settings, item);
  const scratch = `${dest}.partial-${process.pid}`;
  const args = item.kind === 'cache' ? [item.version, scratch] : [item.version];
  const started = Date.now();
  if (item.kind === 'cache') say(`  ▸ ${label}: installing (log ${logFile})`);
  const heartbeat = setInterval(
    () => say(`  … ${label}: still installing (${formatDuration(Date.now() - started)})`),
    30_000,
  );
  try {
    const code = await runLogged(join(repoRoot, 'dev', 'install', `${item.script}.sh`), args, logFile);
    if (code !== 0) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      throw new InstallError(`${label}: install failed (exit ${code}); last lines of ${logFile}:\n${tail}`);
    }
    if (item.kind === 'cache') {
      writeFileSync(join(scratch, installMarker), `${new Date().toISOString()}\n`);
      if (isInstalled(settings, item)) rmSync(scratch, { recursive: true, force: true });
      else {
        rmSync(dest, { recursive: true, force: true }); // a failed or unmarked earlier attempt
        renameSync(scratch, dest);
      }
      say(`  ✓ ${label}: installed in ${formatDuration(Date.now() - started)}`);
    }
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}

function runLogged(script: string, args: string[], logFile: string): Promise<number> {
  const fd = openSync(logFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', fd, fd] });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
