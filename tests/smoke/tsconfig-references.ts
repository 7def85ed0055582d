/**
 * Checks that tsconfig project references match the workspace dependencies in package.json, so
 * `tsc -b` builds (and type-checks against) exactly what each package imports. A missing
 * reference builds in the wrong order or checks against stale declarations; an extra one hides a
 * dependency package.json does not declare (it would break once installed on its own).
 *
 * The rule, for the workspaces of the root package.json:
 * 1. A workspace's own tsconfig.json references exactly the workspaces its package.json depends
 *    on (dependencies, devDependencies, peerDependencies, optionalDependencies naming a
 *    workspace package, in practice @parley/*).
 * 2. A nested project (a tsconfig.json below a workspace's root, such as operator/test: test code
 *    kept out of the package's build) is the workspace's own code: it references its workspace
 *    and, like the workspace, exactly the workspaces the package.json depends on.
 * 3. On top of rule 1 or 2, a project may reference a nested project of a workspace it depends
 *    on. tests/ references operator/test on purpose: the operator's test fixture is shared, and a
 *    fixture is imported by relative path, which no package.json dependency can name. Depending on
 *    the owning workspace is what makes such a reference legitimate.
 * 4. The root tsconfig.json (the solution `npm run build` builds) references every workspace and
 *    every nested project, and nothing else.
 * Every reference must point at a folder holding a tsconfig.json.
 */
import { glob, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

interface Workspace {
  /** The package name, e.g. "@parley/kit". */
  name: string;
  /** Folder relative to the root, e.g. "packages/kit". */
  dir: string;
  /** Names of the packages its package.json depends on, any kind of dependency. */
  dependsOn: string[];
}

interface Project {
  /** Folder of the tsconfig.json relative to the root, e.g. "operator/test". */
  dir: string;
  /** The workspace it belongs to. */
  owner: Workspace;
  /** Folders it references, relative to the root. */
  references: string[];
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/** tsconfig files may hold comments and trailing commas: TypeScript's own reader parses them. */
async function readTsconfig(file: string): Promise<{ references?: { path: string }[] }> {
  const parsed = ts.parseConfigFileTextToJson(file, await readFile(file, 'utf8'));
  if (parsed.error) {
    throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
  }
  return parsed.config as { references?: { path: string }[] };
}

const toPosix = (path: string) => path.split('\\').join('/');

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

async function readWorkspaces(root: string): Promise<Workspace[]> {
  const patterns = ((await readJson(join(root, 'package.json'))).workspaces ?? []) as string[];
  const workspaces: Workspace[] = [];
  for (const pattern of patterns) {
    for await (const file of glob(`${pattern}/package.json`, { cwd: root })) {
      const manifest = await readJson(join(root, file));
      const dependsOn = DEPENDENCY_FIELDS.flatMap((field) =>
        Object.keys((manifest[field] ?? {}) as Record<string, string>),
      );
      workspaces.push({ name: String(manifest.name), dir: toPosix(dirname(file)), dependsOn });
    }
  }
  return workspaces.sort((a, b) => a.dir.localeCompare(b.dir));
}

async function readProjects(root: string, workspaces: Workspace[]): Promise<Project[]> {
  const projects: Project[] = [];
  for (const owner of workspaces) {
    const files = glob(`${owner.dir}/**/tsconfig.json`, {
      cwd: root,
      exclude: (path) => /(^|[\\/])(node_modules|dist)$/.test(path),
    });
    for await (const file of files) {
      const dir = toPosix(dirname(file));
      const config = await readTsconfig(join(root, file));
      const references = (config.references ?? []).map((r) =>
        toPosix(relative(root, resolve(root, dir, r.path))),
      );
      projects.push({ dir, owner, references });
    }
  }
  return projects.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Every breach of the rule above, one readable line each; empty when references match. */
export async function referenceDrift(root: string): Promise<string[]> {
  const workspaces = await readWorkspaces(root);
  const projects = await readProjects(root, workspaces);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const problems: string[] = [];

  for (const w of workspaces) {
    if (!projects.some((p) => p.dir === w.dir)) problems.push(`${w.dir}: has no tsconfig.json`);
  }

  for (const project of projects) {
    const file = `${project.dir}/tsconfig.json`;
    const { owner } = project;
    const nested = project.dir !== owner.dir;
    const workspaceDeps = owner.dependsOn
      .filter((name) => name !== owner.name && byName.has(name))
      .map((name) => byName.get(name) as Workspace);
    const required = new Map(workspaceDeps.map((w) => [w.dir, `package.json depends on ${w.name}`]));
    if (nested) required.set(owner.dir, `it is ${owner.name}'s own code`);
    // Rule 3: nested projects of the workspaces depended on (not the project itself).
    const allowedNested = new Set(
      projects
        .filter((p) => p.dir !== p.owner.dir && p.dir !== project.dir && required.has(p.owner.dir))
        .map((p) => p.dir),
    );

    for (const [dir, why] of required) {
      if (!project.references.includes(dir)) problems.push(`${file}: missing a reference to ${dir} (${why})`);
    }
    for (const dir of project.references) {
      if (!(await exists(join(root, dir, 'tsconfig.json')))) {
        problems.push(`${file}: references ${dir}, which has no tsconfig.json`);
      } else if (!required.has(dir) && !allowedNested.has(dir)) {
        const target = projects.find((p) => p.dir === dir);
        problems.push(
          `${file}: references ${dir}, but ${owner.dir}/package.json does not depend on ${target?.owner.name ?? dir}`,
        );
      }
    }
  }

  const rootReferences = ((await readTsconfig(join(root, 'tsconfig.json'))).references ?? []).map((r) =>
    toPosix(relative(root, resolve(root, r.path))),
  );
  for (const project of projects) {
    if (!rootReferences.includes(project.dir)) {
      problems.push(
        `tsconfig.json: missing a reference to ${project.dir} (every project is built by tsc -b)`,
      );
    }
  }
  for (const dir of rootReferences) {
    if (!projects.some((p) => p.dir === dir)) {
      problems.push(`tsconfig.json: references ${dir}, which is no workspace project`);
    }
  }
  return problems;
}
