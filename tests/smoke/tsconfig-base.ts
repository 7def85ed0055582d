/**
 * Every TypeScript project of the repository (each one the root solution builds) extends
 * tsconfig.base.json and keeps its strict settings: a project that forgot `extends`, or turned
 * one check off for itself, would type-check more loosely than the rest without anyone noticing.
 *
 * The settings are read as TypeScript itself resolves them (`extends` chains followed, comments
 * allowed), so what is held is the effective configuration, not the text of each file:
 * - the `extends` chain of the project's tsconfig.json reaches the root tsconfig.base.json;
 * - each checking option the base sets (STRICT_OPTIONS) has the base's value in the project;
 * - none of the flags `strict` turns on (STRICT_FAMILY) is turned off again.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The checking options of tsconfig.base.json a project may not change. */
export const STRICT_OPTIONS = [
  'strict',
  'noUncheckedIndexedAccess',
  'noImplicitOverride',
  'noFallthroughCasesInSwitch',
  'verbatimModuleSyntax',
  'erasableSyntaxOnly',
  'isolatedModules',
] as const;

/** What `strict: true` turns on; setting any of them to false weakens strict again. */
export const STRICT_FAMILY = [
  'alwaysStrict',
  'noImplicitAny',
  'noImplicitThis',
  'strictBindCallApply',
  'strictBuiltinIteratorReturn',
  'strictFunctionTypes',
  'strictNullChecks',
  'strictPropertyInitialization',
  'useUnknownInCatchVariables',
] as const;

const toPosix = (path: string) => path.split('\\').join('/');

function readConfig(file: string): { config?: Record<string, unknown>; error?: string } {
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) return { error: ts.flattenDiagnosticMessageText(read.error.messageText, '\n') };
  return { config: read.config as Record<string, unknown> };
}

/** The files a tsconfig extends, nearest first (relative `extends` only, as this repository uses). */
function extendsChain(file: string): string[] {
  const chain: string[] = [];
  let current = file;
  for (;;) {
    const target = readConfig(current).config?.extends;
    const next = Array.isArray(target) ? target[0] : target;
    if (typeof next !== 'string') return chain;
    current = resolve(dirname(current), next.endsWith('.json') ? next : `${next}.json`);
    if (chain.includes(current)) return chain;
    chain.push(current);
  }
}

/** The effective compiler options of one tsconfig.json, `extends` applied. */
function effectiveOptions(file: string): ts.CompilerOptions {
  const { config } = readConfig(file);
  return ts.parseJsonConfigFileContent(config ?? {}, ts.sys, dirname(file), undefined, file).options;
}

/** Every breach of the rule above, one readable line each; empty when every project holds to it. */
export async function baseConfigDrift(root: string): Promise<string[]> {
  const baseFile = join(root, 'tsconfig.base.json');
  const base = effectiveOptions(baseFile);
  const problems: string[] = [];
  for (const name of STRICT_OPTIONS) {
    if (base[name] !== true) problems.push(`tsconfig.base.json: ${name} is not true`);
  }
  const solution = ts.parseConfigFileTextToJson(
    'tsconfig.json',
    await readFile(join(root, 'tsconfig.json'), 'utf8'),
  );
  const references = ((solution.config as { references?: { path: string }[] }).references ?? []).map((r) =>
    toPosix(relative(root, resolve(root, r.path))),
  );
  if (references.length === 0) problems.push('tsconfig.json: references no project');
  for (const dir of references) {
    const file = join(root, dir, 'tsconfig.json');
    const at = `${dir}/tsconfig.json`;
    const { error } = readConfig(file);
    if (error) {
      problems.push(`${at}: ${error}`);
      continue;
    }
    if (!extendsChain(file).includes(baseFile)) {
      problems.push(`${at}: does not extend tsconfig.base.json`);
      continue;
    }
    const options = effectiveOptions(file);
    for (const name of STRICT_OPTIONS) {
      if (options[name] !== base[name])
        problems.push(`${at}: ${name} is ${String(options[name])}, the base says ${String(base[name])}`);
    }
    for (const name of STRICT_FAMILY) {
      if (options[name] === false) problems.push(`${at}: turns ${name} off (strict turns it on)`);
    }
  }
  return problems;
}
