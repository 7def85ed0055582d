import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stackSetting } from '../setup/stack-env.ts';

const run = promisify(execFile);

describe('helm', () => {
  it('renders a trivial chart', async () => {
    const chart = join(import.meta.dirname, 'fixtures', 'hello-chart');
    const { stdout } = await run(stackSetting('PARLEY_HELM'), [
      'template',
      'smoke',
      chart,
      '--namespace',
      'demo',
      '--set',
      'greeting=hi there',
    ]);
    expect(stdout).toContain('kind: ConfigMap');
    expect(stdout).toContain('name: smoke-hello');
    expect(stdout).toContain('greeting: "hi there"');
  });
});
