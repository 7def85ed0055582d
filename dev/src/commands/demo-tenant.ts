// The demo tenant of `npm start`: the CRDs go to the local stack's kube-apiserver, the operator
// runs as one more process, and a Tenant is applied — the cluster's code path, without a cluster.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../settings.ts';
import { say } from '../stack/output.ts';

const run = promisify(execFile);

export const OPERATOR_MAIN = join(repoRoot, 'operator', 'src', 'main.ts');
const DEMO_TENANT = join(repoRoot, 'dev', 'demo', 'tenant-demo.yaml');

function kubectl(env: Record<string, string>, args: string[]) {
  const binary = env.PARLEY_KUBECTL;
  if (!binary) throw new Error('the stack env has no PARLEY_KUBECTL');
  return run(binary, args, { env: { ...process.env, ...env }, maxBuffer: 8 * 1024 * 1024 });
}

/** Installs the CRDs (idempotent) so the operator finds its kinds when it starts. */
export async function installCustomResourceDefinitions(env: Record<string, string>): Promise<void> {
  await kubectl(env, ['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'k8s', 'crds')]);
  await kubectl(env, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

/** Applies the demo Tenant and reports when the operator has made it Ready (in the background). */
export async function applyDemoTenant(env: Record<string, string>): Promise<void> {
  await kubectl(env, ['apply', '-f', DEMO_TENANT]);
  say('  demo tenant  applied (kubectl get tenants -n parley); waiting for Ready…');
  kubectl(env, ['wait', '--for=condition=Ready', '--timeout=180s', '-n', 'parley', 'tenant/demo'])
    .then(() => say('  demo tenant  Ready: every store, key and the first admin invitation are provisioned'))
    .catch(async () => {
      const { stdout } = await kubectl(env, ['get', 'tenant', 'demo', '-n', 'parley', '-o', 'wide']).catch(
        () => ({
          stdout: '(could not read it)',
        }),
      );
      say(`  demo tenant  not Ready after 180 s; its status says:\n${stdout}`);
    });
}
