/**
 * The umbrella's PrometheusRule, read by Prometheus' own promtool (built by the stack,
 * dev/install/promtool.sh): `promtool check rules` parses every PromQL expression and template
 * the chart renders, and `promtool test rules` runs the unit tests in prometheus-rules/ (each alert
 * fires on the series it is about, and stays silent on the look-alikes). monitoring.test.ts checks
 * that the metrics named exist in the code; this checks that the alerts mean what they say.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { stackSetting } from '../setup/stack-env.ts';
import { type Manifest, render } from './helm.ts';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'parley-prometheus-rules-'));
const unitTests = join(import.meta.dirname, 'prometheus-rules', 'alerts.test.yaml');

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RuleGroups {
  groups: { name: string; rules: { alert: string; expr: string }[] }[];
}

/** The rules of the umbrella's PrometheusRule (its spec is a Prometheus rule file). */
async function renderedRules(values: string[] = []): Promise<RuleGroups> {
  const manifests = await render('parley', {
    release: 'parley',
    namespace: 'parley',
    values,
    set: ['global.imageRegistry=registry.example.com', 'monitoring.prometheusRule.enabled=true'],
  });
  const rule = manifests.find((m) => m.kind === 'PrometheusRule') as Manifest | undefined;
  if (!rule) throw new Error('the umbrella rendered no PrometheusRule');
  return rule.spec as unknown as RuleGroups;
}

/** promtool's exit code and everything it printed. */
async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(stackSetting('PARLEY_PROMTOOL'), args, {
      maxBuffer: 8 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Writes the rules as a rule file in a folder of their own, with the unit tests beside them. */
function ruleFolder(name: string, rules: RuleGroups): { rules: string; tests: string } {
  const dir = mkdtempSync(join(work, `${name}-`));
  writeFileSync(join(dir, 'parley-alerts.yaml'), stringify(rules));
  copyFileSync(unitTests, join(dir, 'alerts.test.yaml'));
  return { rules: join(dir, 'parley-alerts.yaml'), tests: join(dir, 'alerts.test.yaml') };
}

describe('the umbrella chart’s alerts, read by promtool', { timeout: 60_000 }, () => {
  it('parse: every expression and template of the rendered rules is valid', async () => {
    const rules = await renderedRules();
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toHaveLength(12);
    const { code, output } = await promtool(['check', 'rules', ruleFolder('check', rules).rules]);
    expect(output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(code).toBe(0);
  });

  it('refuses a broken expression, naming the rule (the check can fail)', async () => {
    const rules = await renderedRules();
    const [first] = rules.groups[0]?.rules ?? [];
    if (!first) throw new Error('no rule');
    first.expr = first.expr.replace('== 0', '== ');
    const { code, output } = await promtool(['check', 'rules', ruleFolder('broken', rules).rules]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/ParleyServiceDown|parse error/);
  });

  it('unit tests: each alert fires on what it is about and stays silent on the look-alikes', async () => {
    const { code, output } = await promtool([
      'test',
      'rules',
      ruleFolder('unit', await renderedRules()).tests,
    ]);
    expect(output, output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('the unit tests follow the values: a higher error ratio no longer alerts at 10% errors', async () => {
    // A values file: --set would pass 0.5 as a string, which the schema refuses.
    const values = join(work, 'ratio-values.yaml');
    writeFileSync(values, 'monitoring:\n  serverErrorRatio: 0.5\n');
    const rules = await renderedRules([values]);
    const { code, output } = await promtool(['test', 'rules', ruleFolder('ratio', rules).tests]);
    expect(code).not.toBe(0);
    expect(output).toContain('ParleyServerErrors');
    // Only that alert's cases fail.
    expect(output).not.toContain('ParleyServiceDown');
  });
});
