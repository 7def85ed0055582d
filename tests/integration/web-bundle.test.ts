/**
 * The web client's production bundle, built with its own Vite config (no stack needed): no Node
 * built-in reaches it (Vite would replace one with an empty stub, which fails only when the code
 * path runs, in someone's browser), and the chat page's JavaScript stays within #17's budget of
 * 250 KB gzip. A build of an entry that imports the contracts' root (whose event envelope uses
 * node:crypto) shows the check finds such an import.
 */
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin, type Rolldown } from 'vite';
import { describe, expect, it } from 'vitest';

const webRoot = join(import.meta.dirname, '..', '..', 'web');
const BUDGET_GZIP_BYTES = 250 * 1024;

interface BuiltBundle {
  /** `<specifier> imported by <file>` for every Node built-in that reached the module graph. */
  nodeImports: string[];
  chunks: Rolldown.OutputChunk[];
}

/** Builds the web client in memory; `entrySource` replaces its entry (for the control). */
async function buildWeb(entrySource?: string): Promise<BuiltBundle> {
  const builtinImports = new Map<string, string>(); // importer -> specifiers
  const nodeImports: string[] = [];
  const watchNode: Plugin = {
    name: 'parley:node-built-ins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (isBuiltin(source) && importer) {
        builtinImports.set(importer, [builtinImports.get(importer), source].filter(Boolean).join(', '));
      }
      if (entrySource && source === 'virtual:control-entry') return '\0control-entry';
      return null;
    },
    load(id) {
      return id === '\0control-entry' ? entrySource : null;
    },
    generateBundle() {
      // Vite resolves a built-in in a browser build to its stub module; whoever imports the stub
      // brought Node into the bundle.
      for (const id of this.getModuleIds()) {
        if (!id.includes('__vite-browser-external') && !id.startsWith('node:')) continue;
        for (const importer of this.getModuleInfo(id)?.importers ?? [])
          nodeImports.push(`${builtinImports.get(importer) ?? id} imported by ${importer}`);
      }
    },
  };
  const result = await build({
    root: webRoot,
    configFile: join(webRoot, 'vite.config.ts'),
    logLevel: 'silent',
    plugins: [watchNode],
    build: {
      write: false,
      ...(entrySource ? { rolldownOptions: { input: 'virtual:control-entry' } } : {}),
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks = outputs.flatMap((o) =>
    o.output.filter((f): f is Rolldown.OutputChunk => f.type === 'chunk'),
  );
  return { nodeImports, chunks };
}

describe('the web client bundle', () => {
  it('holds no Node built-in, and its JavaScript is within 250 KB gzip', async () => {
    const bundle = await buildWeb();
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.chunks.length).toBeGreaterThan(0);
    const gzipBytes = bundle.chunks.reduce((sum, chunk) => sum + gzipSync(chunk.code).length, 0);
    expect(gzipBytes).toBeGreaterThan(10 * 1024); // the whole app, not an empty build
    expect(gzipBytes).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  }, 120_000);

  it('the check finds node:crypto when an entry imports the contracts root (the control)', async () => {
    const bundle = await buildWeb(
      "import { createEvent } from '@parley/contracts';\nconsole.log(createEvent);\n",
    );
    expect(bundle.nodeImports.join('\n')).toMatch(/node:crypto imported by .*event-envelope\.ts/);
  }, 120_000);
});
