/**
 * What the one Dockerfile and its .dockerignore promise, read without a Docker engine: the
 * instructions (continuations joined, comments dropped), the build context Docker would send
 * (the .dockerignore rules as Docker applies them, through @balena/dockerignore), and the
 * import graph of each service's entrypoint.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import ignore from '@balena/dockerignore';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface Instruction {
  keyword: string;
  args: string;
}

export function dockerfileInstructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (current === '' && /^\s*#/.test(line)) continue;
    if (/^\s*#/.test(line)) continue; // comment lines inside a continuation are dropped by Docker too
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

/** The instructions grouped by stage (FROM ... to the next FROM); the global ARGs come first. */
export function stages(instructions: Instruction[]): { from: string; name?: string; body: Instruction[] }[] {
  const result: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      result.push({ from: image, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), body: [] });
    } else {
      result.at(-1)?.body.push(instruction);
    }
  }
  return result;
}

/** Every file git tracks (and every untracked, unignored one), as Docker would see the checkout. */
export function checkoutFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path !== '' && existsSync(join(repoRoot, path)));
}

/** The files of the checkout that the build context holds, by Docker's .dockerignore rules. */
export function buildContext(): Set<string> {
  // A CommonJS module: its default import is module.exports, which carries the factory as .default too.
  const rules = ignore.default().add(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
  return new Set(checkoutFiles().filter((path) => !rules.ignores(path)));
}

interface Workspace {
  dir: string;
  manifest: {
    name: string;
    dependencies?: Record<string, string>;
    exports?: Record<string, string> | string;
  };
}

export function workspaces(): Map<string, Workspace> {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
  const result = new Map<string, Workspace>();
  for (const pattern of root.workspaces) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(repoRoot, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
      : [pattern];
    for (const dir of dirs) {
      const path = join(repoRoot, dir, 'package.json');
      if (!existsSync(path)) continue;
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Workspace['manifest'];
      result.set(manifest.name, { dir, manifest });
    }
  }
  return result;
}

/** What the SERVICE build argument may name: every folder of services/ with an entrypoint, and operator. */
export function imageServices(): { service: string; dir: string }[] {
  const services = readdirSync(join(repoRoot, 'services'), { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(repoRoot, 'services', entry.name, 'src/main.ts')),
    )
    .map((entry) => ({ service: entry.name, dir: `services/${entry.name}` }));
  return [...services, { service: 'operator', dir: 'operator' }];
}

const builtins = new Set(builtinModules);
const specifierPattern =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

/** The bare package name of an import specifier ('@scope/name/sub' -> '@scope/name'). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function workspaceOf(file: string, all: Map<string, Workspace>): Workspace | undefined {
  let best: Workspace | undefined;
  for (const workspace of all.values()) {
    if (file.startsWith(`${workspace.dir}/`) && (!best || workspace.dir.length > best.dir.length))
      best = workspace;
  }
  return best;
}

function resolveWorkspaceImport(specifier: string, workspace: Workspace): string {
  const subpath = `.${specifier.slice(workspace.manifest.name.length)}` || '.';
  const exportsField = workspace.manifest.exports;
  const target =
    typeof exportsField === 'string' ? (subpath === '.' ? exportsField : undefined) : exportsField?.[subpath];
  if (!target) throw new Error(`${specifier}: ${workspace.manifest.name} exports no "${subpath}"`);
  return normalize(join(workspace.dir, target));
}

export interface ImportGraph {
  /** Repository-relative source files the entrypoint reaches. */
  files: Set<string>;
  /** Third-party packages imported, with the file that imports each and that file's workspace. */
  packages: { name: string; from: string; workspace: string }[];
}

/** Follows static and literal dynamic imports from an entrypoint through relative paths and workspaces. */
export function importGraph(entry: string): ImportGraph {
  const all = workspaces();
  const files = new Set<string>();
  const packages: ImportGraph['packages'] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.ts') && !file.endsWith('.js')) continue;
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const owner = workspaceOf(file, all);
    for (const match of text.matchAll(specifierPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      // `import type` is erased before the code runs; `import { type X }` is not (the module loads).
      if (/^\s*;?\s*(?:import|export)\s+type\s/.test(match[0])) continue;
      if (!specifier || specifier.startsWith('node:') || builtins.has(specifier)) continue;
      if (specifier.startsWith('.')) {
        queue.push(relative(repoRoot, resolve(repoRoot, dirname(file), specifier)));
        continue;
      }
      const name = packageName(specifier);
      const workspace = all.get(name);
      if (workspace) {
        queue.push(resolveWorkspaceImport(specifier, workspace));
      }
      packages.push({ name, from: file, workspace: owner?.manifest.name ?? '(none)' });
    }
  }
  return { files, packages };
}
