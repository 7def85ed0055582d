/**
 * Runs the Dockerfile's build without a Docker engine: each stage gets a directory of its own that
 * stands for its root filesystem, COPY copies from the build context (as .dockerignore leaves it)
 * or from an earlier stage's directory, and RUN runs the instruction's own shell script with the
 * stage's absolute paths moved into that directory. The base image's tools are the machine's
 * (npm, find, cp), so this proves the recipe (what is copied, installed, patched and kept), not the
 * base image.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildContext, dockerfileInstructions, type Instruction, repoRoot, stages } from './dockerfile.ts';

export interface BuiltImage {
  /** The final stage's root directory. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
}

/** `KEY=value KEY2="v 2"` (ENV and ARG syntax) into pairs. */
function assignments(text: string): [string, string][] {
  return [...text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)].map((m) => [
    m[1] as string,
    (m[2] as string).replace(/^"|"$/g, ''),
  ]);
}

/** What a build step needs from the machine: its tools and home (npm's cache), and any proxy. */
function machineEnv(): Record<string, string> {
  const keep = [
    'PATH',
    'HOME',
    'TMPDIR',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
    'http_proxy',
    'https_proxy',
    'no_proxy',
  ];
  return Object.fromEntries(
    keep.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
  );
}

export function runDockerfile(buildArgs: Record<string, string>): BuiltImage {
  const instructions = dockerfileInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const context = buildContext();
  const base = mkdtempSync(join(tmpdir(), 'parley-image-'));
  const roots = new Map<string, string>();
  let final: BuiltImage | undefined;

  // The top-level folders the Dockerfile itself names (WORKDIR, COPY destinations and --from
  // sources) and /tmp: within a stage, these are the stage's; any other absolute path is not.
  const folders = [
    ...new Set(
      instructions.flatMap(({ keyword, args }) => {
        if (keyword === 'WORKDIR') return [args];
        if (keyword !== 'COPY') return [];
        const paths = args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return args.includes('--from=') ? paths : paths.slice(-1);
      }),
    ),
  ]
    .filter((path) => path.startsWith('/'))
    .map((path) => path.split('/')[1] as string)
    .filter((name, i, all) => name !== '' && all.indexOf(name) === i);
  if (!folders.includes('tmp')) folders.push('tmp');

  stages(instructions).forEach((stage, index) => {
    const root = join(base, stage.name ?? `stage-${index}`);
    mkdirSync(join(root, 'tmp'), { recursive: true });
    if (stage.name) roots.set(stage.name, root);
    let workdir = '/';
    const env: Record<string, string> = {};
    let cmd: string[] = [];
    const inRoot = (path: string) => join(root, path.startsWith('/') ? path : join(workdir, path));
    // Absolute paths inside a RUN script, moved into the stage's directory (only the folders the
    // Dockerfile names, see above), so the script runs as written.
    const stagePath = new RegExp(`(?<![\\w./-])/(${folders.join('|')})(?=[/\\s"';]|$)`, 'g');
    const relocate = (script: string) => script.replace(stagePath, `${root}/$1`);

    for (const instruction of stage.body) {
      run(instruction);
    }

    function run({ keyword, args }: Instruction): void {
      switch (keyword) {
        case 'ARG':
          for (const [name] of assignments(args.includes('=') ? args : `${args}=`)) {
            env[name] = buildArgs[name] ?? assignments(args)[0]?.[1] ?? '';
          }
          return;
        case 'ENV':
          Object.assign(env, Object.fromEntries(assignments(args)));
          return;
        case 'WORKDIR':
          workdir = args.startsWith('/') ? args : join(workdir, args);
          mkdirSync(join(root, workdir), { recursive: true });
          return;
        case 'COPY':
          copy(args);
          return;
        case 'RUN': {
          const written = args.replace(/--mount=\S+\s*/g, '');
          // This runs as the machine's user: an absolute path outside the stage's own folders
          // would touch the machine itself, so a script with one is refused, not run.
          const outside = written
            .replace(stagePath, 'stage-$1')
            .match(/(?<![\w./$-])\/(?!dev\/null\b)[A-Za-z][\w.-]*/);
          if (outside)
            throw new Error(`Dockerfile RUN names ${outside[0]}, outside the stages' folders: ${args}`);
          execFileSync('sh', ['-c', relocate(written)], {
            cwd: join(root, workdir),
            // A clean environment, as in a build: not the test runner's npm_config_* or NODE_ENV.
            env: { ...machineEnv(), ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
            maxBuffer: 64 * 1024 * 1024,
          });
          return;
        }
        case 'CMD':
          cmd = JSON.parse(args) as string[];
          return;
        case 'USER':
        case 'EXPOSE':
        case 'LABEL':
          return;
        default:
          throw new Error(`Dockerfile: ${keyword} is not understood here`);
      }
    }

    function copy(args: string): void {
      const words = args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      const destination = paths.pop() as string;
      const target = inRoot(destination);
      for (const source of paths) {
        if (from) {
          const origin = roots.get(from);
          if (!origin) throw new Error(`COPY --from=${from}: no such stage`);
          copyPath(join(origin, source), target, destination.endsWith('/') || paths.length > 1);
          continue;
        }
        const prefix = source.replace(/\/$/, '');
        const files = [...context].filter((file) => file === prefix || file.startsWith(`${prefix}/`));
        if (files.length === 0) throw new Error(`COPY ${source}: not in the build context`);
        for (const file of files) {
          const into =
            file === prefix
              ? destination.endsWith('/')
                ? join(target, file.split('/').at(-1) as string)
                : target
              : join(target, file.slice(prefix.length + 1));
          mkdirSync(dirname(into), { recursive: true });
          cpSync(join(repoRoot, file), into);
        }
      }
    }

    function copyPath(source: string, target: string, intoDirectory: boolean): void {
      if (statSync(source).isDirectory()) {
        // A directory's contents, as Docker copies them; links stay links.
        cpSync(source, target, { recursive: true, verbatimSymlinks: true });
      } else {
        const into = intoDirectory ? join(target, source.split('/').at(-1) as string) : target;
        mkdirSync(dirname(into), { recursive: true });
        cpSync(source, into);
      }
    }

    final = { root, workdir, env, cmd };
  });
  if (!final) throw new Error('Dockerfile: no stage');
  return final;
}
