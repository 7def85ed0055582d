/**
 * Each chart on parley-common validates its values with its own values.schema.json (helm reads no
 * schema across charts), yet most of its values are the library's. The shared part is written
 * once, in charts/parley-common/values.schema.common.json, and copied into each chart's schema:
 * `node tests/deploy/chart-schemas.ts --write` after changing it; chart-schemas.test.ts fails
 * when a copy drifts (compared as JSON, not as text).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const chartsDir = join(resolve(import.meta.dirname, '../..'), 'charts');

type Schema = { properties: Record<string, unknown> } & Record<string, unknown>;

export function commonProperties(): Record<string, unknown> {
  const { $comment: _, ...properties } = JSON.parse(
    readFileSync(join(chartsDir, 'parley-common', 'values.schema.common.json'), 'utf8'),
  ) as Record<string, unknown>;
  return properties;
}

/**
 * The service charts built on the library (from their Chart.yaml): parley-common is their only
 * dependency. The umbrella depends on it too, but its values are its sub-charts'.
 */
export function chartsOnCommon(): string[] {
  return readdirSync(chartsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(chartsDir, entry.name, 'Chart.yaml')))
    .map((entry) => entry.name)
    .filter((name) => {
      const dependencies = [
        ...readFileSync(join(chartsDir, name, 'Chart.yaml'), 'utf8').matchAll(/^\s*- name: (\S+)$/gm),
      ].map((match) => match[1]);
      return dependencies.length === 1 && dependencies[0] === 'parley-common';
    });
}

export function schemaPath(chart: string): string {
  return join(chartsDir, chart, 'values.schema.json');
}

/** The chart's schema with the shared properties as the library defines them, its own after them. */
export function expectedSchema(chart: string): Schema {
  const current = JSON.parse(readFileSync(schemaPath(chart), 'utf8')) as Schema;
  const common = commonProperties();
  const own = Object.fromEntries(Object.entries(current.properties).filter(([key]) => !(key in common)));
  return { ...current, properties: { ...common, ...own } };
}

if (process.argv[1] === import.meta.filename && process.argv.includes('--write')) {
  for (const chart of chartsOnCommon()) {
    writeFileSync(schemaPath(chart), `${JSON.stringify(expectedSchema(chart), null, 2)}\n`);
    console.log(`wrote ${schemaPath(chart)}`);
  }
  // In the repository's JSON style, so `biome ci` stays green.
  const biome = join(chartsDir, '..', 'node_modules', '.bin', 'biome');
  execFileSync(biome, ['format', '--write', ...chartsOnCommon().map(schemaPath)], { stdio: 'inherit' });
}
