// The demo tenant of `npm start`: the CRDs go to the local stack's kube-apiserver, the operator
// runs as one more process, and a Tenant is applied — the cluster's code path, without a cluster.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../settings.ts';
import { say } from '../stack/output.ts';
import { checkDemoTenant, type DemoCheckTarget } from './demo-check.ts';
import { seedDemo } from './demo-seed.ts';

const run = promisify(execFile);

export const OPERATOR_MAIN = join(repoRoot, 'operator', 'src', 'main.ts');
const DEMO_TENANT = join(repoRoot, 'dev', 'demo', 'tenant-demo.yaml');
/** The first admin that dev/demo/tenant-demo.yaml names. */
const DEMO_ADMIN = 'admin@demo.example';

function kubectl(env: Record<string, string>, args: string[], signal?: AbortSignal) {
  const binary = env.PARLEY_KUBECTL;
  if (!binary) throw new Error('the stack env has no PARLEY_KUBECTL');
  return run(binary, args, { env: { ...process.env, ...env }, maxBuffer: 8 * 1024 * 1024, signal });
}

/** Installs the CRDs (idempotent) so the operator finds its kinds when it starts. */
export async function installCustomResourceDefinitions(env: Record<string, string>): Promise<void> {
  await kubectl(env, ['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'k8s', 'crds')]);
  await kubectl(env, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

/** Where the demo tenant's check finds the services, and the credentials it calls them with. */
export type DemoServices = Omit<DemoCheckTarget, 'tenant' | 'adminEmail'>;

/**
 * Applies the demo Tenant and, in the background, reports when the operator has made it Ready and
 * whether the services then really serve it (demo-check.ts). Resolves with that report's outcome
 * (true: usable) once it is known; `npm start` does not wait for it.
 */
export async function applyDemoTenant(
  env: Record<string, string>,
  services: DemoServices,
  /** Aborted when npm start stops: the check must not outlive (or keep alive) the command. */
  signal: AbortSignal,
): Promise<{ usable: Promise<boolean> }> {
  await kubectl(env, ['apply', '-f', DEMO_TENANT]);
  say('  demo tenant  applied (kubectl get tenants -n parley); waiting for Ready…');
  const usable = kubectl(env, [
    'wait',
    '--for=condition=Ready',
    '--timeout=180s',
    '-n',
    'parley',
    'tenant/demo',
  ])
    .then(async () => {
      say('  demo tenant  Ready: every store, key and the first admin invitation are provisioned');
      const { ok, lines, adminUserId } = await checkDemoTenant(
        { tenant: 'demo', adminEmail: DEMO_ADMIN, ...services },
        signal,
      );
      if (signal.aborted) return false;
      for (const line of lines) say(`  demo tenant  ${line}`);
      say(ok ? '  demo tenant  usable: sign-in works' : '  demo tenant  NOT usable: see the lines above');
      if (ok && adminUserId) {
        // A failed seed leaves a usable tenant, only a quieter one: said, never fatal.
        const seeded = await seedDemo(
          {
            tenant: 'demo',
            authUrl: services.authUrl,
            gatewayUrl: services.webUrl,
            operatorToken: services.operatorToken,
            adminUserId,
          },
          signal,
        ).catch((error: Error) => [`demo conversations not seeded: ${error.message}`]);
        if (!signal.aborted) for (const line of seeded) say(`  demo tenant  ${line}`);
      }
      return ok;
    })
    .catch(async (error: Error) => {
      if (signal.aborted) return false;
      const { stdout } = await kubectl(env, ['get', 'tenant', 'demo', '-n', 'parley', '-o', 'wide']).catch(
        () => ({ stdout: '(could not read it)' }),
      );
      say(`  demo tenant  not usable (${error.message.split('\n')[0]}); its status says:\n${stdout}`);
      return false;
    });
  return { usable };
}
