/**
 * The metric names Parley's code registers with prom-client, read from the sources (prefixes
 * resolved): what alerts, dashboards and the socket's HPA may name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageServices, repoRoot } from './dockerfile.ts';

/** `${metricPrefix(service)}` in a name: one metric per service of the image. */
const servicePrefix = /\$\{metricPrefix\(service\)\}/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !path.includes('/node_modules/') && !path.includes('/testing/'));
}

/** Every metric name registered in the sources (histograms with their _bucket, _count and _sum). */
export function registeredMetrics(): Set<string> {
  const services = imageServices().map((s) => s.service);
  const names = new Set<string>();
  for (const file of ['packages', 'services', 'operator'].flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    const localPrefix = text.match(/const prefix = metricPrefix\('([a-z-]+)'\)/)?.[1];
    for (const match of text.matchAll(
      /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*(['`])(.+?)\2/gs,
    )) {
      const [, type, , raw = ''] = match;
      const expansions = servicePrefix.test(raw)
        ? services.map((s) => raw.replace(servicePrefix, `parley_${s.replaceAll('-', '_')}_`))
        : [
            raw
              .replace(
                /\$\{metricPrefix\('([a-z-]+)'\)\}/,
                (_, s: string) => `parley_${s.replaceAll('-', '_')}_`,
              )
              .replace(/\$\{prefix\}/, `parley_${localPrefix}_`),
          ];
      for (const name of expansions) {
        names.add(name);
        if (type === 'Histogram' || type === 'Summary')
          for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
      }
    }
  }
  return names;
}
