import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

const run = promisify(execFile);
const group = 'smoke.parley.dev';
const plural = 'greetings';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural, singular: 'greeting', kind: 'Greeting' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('kubernetes api server', () => {
  it('serves a CRD and a custom resource that kubectl reads back', async () => {
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(stackSetting('KUBECONFIG'));
    const extensions = kubeconfig.makeApiClient(ApiextensionsV1Api);
    const objects = kubeconfig.makeApiClient(CustomObjectsApi);

    // Kept between runs: deleting a CRD is asynchronous and would race the next run's create.
    await extensions.createCustomResourceDefinition({ body: crd }).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
    await until(async () => {
      const current = await extensions.readCustomResourceDefinition({ name: crd.metadata.name });
      return (
        current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false
      );
    }, 30_000);

    const name = `hello-${uniqueSuffix()}`;
    await objects.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: 'default',
      plural,
      body: { apiVersion: `${group}/v1`, kind: 'Greeting', metadata: { name }, spec: { text: 'hello k8s' } },
    });
    try {
      const { stdout } = await run(
        stackSetting('PARLEY_KUBECTL'),
        ['get', `${plural}.${group}`, name, '-n', 'default', '-o', 'jsonpath={.spec.text}'],
        { env: { ...process.env, KUBECONFIG: stackSetting('KUBECONFIG') } },
      );
      expect(stdout).toBe('hello k8s');
    } finally {
      await objects.deleteNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: 'default',
        plural,
        name,
      });
    }
  });
});
