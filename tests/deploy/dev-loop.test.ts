/**
 * The inner loop and CI on a cluster with nodes (skaffold.yaml, the Tiltfile, kind-config.yaml,
 * .github/workflows/kind-e2e.yaml) cannot run here (no Docker engine), so every file is parsed (the
 * Tiltfile by Python's parser: Starlark's syntax is Python's, tiltfile.ts) and
 * everything it names is checked against the repository: each image service has an artifact built
 * from the one Dockerfile, every chart, values file and manifest path exists, the forwarded
 * Services and the Tilt resources are what the umbrella renders with the dev values, the kind
 * port mapping is the gateway's NodePort, and the dev deployment is accepted by the API server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageServices } from './dockerfile.ts';
import { containers, isWorkload, kubectl, type Manifest, render, repoRoot } from './helm.ts';
import { parseTiltfile } from './tiltfile.ts';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const exists = (path: string) => existsSync(join(repoRoot, path));
// The image services that have a chart: every one (the dev loop deploys what the umbrella
// installs; charts.test.ts fails when an image service has no chart).
const chartOf = (service: string) => (service === 'operator' ? 'parley-operator' : service);
const services = imageServices()
  .map((s) => s.service)
  .filter((service) => exists(join('charts', chartOf(service), 'Chart.yaml')));

interface Skaffold {
  build: {
    artifacts: {
      image: string;
      context: string;
      docker: { dockerfile: string; buildArgs: { SERVICE: string } };
    }[];
  };
  manifests: { rawYaml: string[] };
  deploy: {
    helm: {
      releases: {
        name: string;
        chartPath: string;
        namespace: string;
        valuesFiles: string[];
        setValueTemplates: Record<string, string>;
      }[];
    };
  };
  portForward: { resourceType: string; resourceName: string; namespace: string; port: number }[];
}

const skaffold = parse(read('skaffold.yaml')) as Skaffold;
const [release] = skaffold.deploy.helm.releases;
const workflow = parse(read('.github/workflows/kind-e2e.yaml')) as {
  jobs: Record<
    string,
    {
      env?: Record<string, string>;
      steps: { run?: string; uses?: string; if?: string; with?: Record<string, string> }[];
    }
  >;
};
const job = Object.values(workflow.jobs)[0];
const runs = job?.steps.map((s) => s.run ?? '').join('\n') ?? '';
let devRelease: Manifest[] = [];

beforeAll(async () => {
  devRelease = await render('parley', { release: 'parley', values: [join(repoRoot, 'k8s/dev-values.yaml')] });
});

function named(kind: string | ((m: Manifest) => boolean)): string[] {
  const matches = typeof kind === 'string' ? (m: Manifest) => m.kind === kind : kind;
  return devRelease.filter(matches).map((m) => m.metadata.name);
}

describe('skaffold.yaml', () => {
  it('builds every image service from the one Dockerfile, named localhost/parley/<service>', () => {
    const artifacts = skaffold.build.artifacts;
    expect(artifacts.map((a) => a.docker.buildArgs.SERVICE).sort()).toEqual([...services].sort());
    for (const artifact of artifacts) {
      expect(artifact.context).toBe('.');
      expect(artifact.docker.dockerfile).toBe('Dockerfile');
      expect(artifact.image).toBe(`localhost/parley/${artifact.docker.buildArgs.SERVICE}`);
    }
    expect(exists('Dockerfile')).toBe(true);
  });

  it('deploys the umbrella with the dev values, passing each image as repository and tag only', () => {
    expect(release && exists(join(release.chartPath, 'Chart.yaml'))).toBe(true);
    for (const file of release?.valuesFiles ?? []) expect(exists(file), file).toBe(true);
    for (const pattern of skaffold.manifests.rawYaml)
      expect(exists(pattern.replace(/\/\*\.yaml$/, ''))).toBe(true);
    const templates = release?.setValueTemplates ?? {};
    for (const artifact of skaffold.build.artifacts) {
      const variable = artifact.image.replace(/[^A-Za-z0-9]/g, '_');
      const chart =
        artifact.docker.buildArgs.SERVICE === 'operator'
          ? 'parley-operator'
          : artifact.docker.buildArgs.SERVICE;
      expect(templates[`${chart}.image.repository`]).toBe(`{{.IMAGE_REPO_${variable}}}`);
      expect(templates[`${chart}.image.tag`]).toBe(`{{.IMAGE_TAG_${variable}}}`);
      expect(read(join(release?.chartPath ?? '', 'Chart.yaml'))).toContain(`- name: ${chart}\n`);
    }
    // Never a digest in a value that could reach a label.
    expect(JSON.stringify(templates)).not.toContain('IMAGE_DIGEST');
  });

  it('forwards Services the umbrella renders with the dev values', () => {
    const rendered = named('Service');
    for (const forward of skaffold.portForward) {
      expect(forward.namespace).toBe(release?.namespace);
      expect(rendered, forward.resourceName).toContain(forward.resourceName);
    }
    expect(skaffold.portForward.map((f) => f.resourceName)).toContain('parley-gateway');
  });
});

describe('the Tiltfile', () => {
  const tilt = parseTiltfile(join(repoRoot, 'Tiltfile'));
  const calls = (func: string) => tilt.calls.filter((c) => c.func === func);
  const kindConfig = parse(read('kind-config.yaml')) as { name: string };

  it("parses, and calls only Tilt's built-ins, on kind's context", () => {
    const builtins = [
      'allow_k8s_contexts',
      'k8s_yaml',
      'listdir',
      'docker_build',
      'helm',
      'k8s_resource',
      '.items',
    ];
    for (const call of tilt.calls) expect(builtins, `line ${call.line}: ${call.func}`).toContain(call.func);
    expect(calls('allow_k8s_contexts').map((c) => c.args)).toEqual([[`kind-${kindConfig.name}`]]);
  });

  it('builds the same images as skaffold, from the Dockerfile with SERVICE', () => {
    const images = tilt.assignments.services as Record<string, string>;
    expect(Object.values(images).sort()).toEqual([...services].sort());
    for (const [image, service] of Object.entries(images)) expect(image).toBe(`localhost/parley/${service}`);
    expect(calls('docker_build')).toEqual([
      expect.objectContaining({
        args: [{ expr: 'image' }, '.'],
        kwargs: { dockerfile: 'Dockerfile', build_args: { SERVICE: { expr: 'service' } } },
      }),
    ]);
    expect(exists('Dockerfile')).toBe(true);
  });

  it('installs the umbrella with the dev values, applies k8s/dev, and names the workloads it renders', () => {
    const [helmCall] = calls('helm');
    expect(helmCall?.args).toEqual(['charts/parley']);
    expect(helmCall?.kwargs).toEqual({
      name: 'parley',
      namespace: 'parley',
      values: ['k8s/dev-values.yaml'],
    });
    expect(exists('charts/parley/Chart.yaml') && exists('k8s/dev-values.yaml')).toBe(true);
    expect(calls('listdir').map((c) => c.args)).toEqual([['k8s/dev']]);
    const resources = calls('k8s_resource');
    expect(resources.map((c) => c.args[0]).sort()).toEqual(named(isWorkload).sort());
    // Each forward is the container port of the workload it names.
    for (const resource of resources) {
      const forward = resource.kwargs.port_forwards as string | undefined;
      if (forward === undefined) continue;
      const workload = devRelease.find((m) => isWorkload(m) && m.metadata.name === resource.args[0]);
      const [container] = workload ? containers(workload) : [];
      const ports = (container as { ports?: { containerPort: number }[] } | undefined)?.ports ?? [];
      const [local, remote] = forward.split(':').map(Number);
      expect(
        ports.map((p) => p.containerPort),
        forward,
      ).toContain(remote);
      expect(local).toBe(remote);
    }
  });
});

describe('kind-config.yaml', () => {
  it("maps the gateway's NodePort of the dev values to the host", () => {
    const kind = parse(read('kind-config.yaml')) as {
      nodes: { extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
    };
    const mappings = kind.nodes.flatMap((n) => n.extraPortMappings ?? []);
    const gateway = devRelease.find((m) => m.kind === 'Service' && m.metadata.name === 'parley-gateway');
    const nodePort = (gateway?.spec as { ports: { nodePort?: number }[] } | undefined)?.ports[0]?.nodePort;
    expect(nodePort).toBe(30000);
    expect(mappings).toContainEqual(expect.objectContaining({ containerPort: nodePort, hostPort: nodePort }));
  });
});

describe('the kind CI workflow', () => {
  it('builds and loads every image, then runs the README install with the dev values', () => {
    const loop = job?.env?.SERVICES?.split(' ') ?? [];
    expect([...loop].sort()).toEqual([...services].sort());
    expect(runs).toContain('docker build --build-arg SERVICE=$s -t localhost/parley/$s:');
    expect(runs).toContain('kind load docker-image localhost/parley/$s:');
    expect(runs).toContain('kubectl apply -f k8s/dev/');
    expect(runs).toMatch(/helm install parley charts\/parley -n parley -f k8s\/dev-values\.yaml --wait/);
    expect(runs).toContain('kubectl -n parley apply -f k8s/samples/');
    expect(runs).toMatch(/kubectl -n parley wait --for=condition=Ready tenants/);
    expect(runs).toContain('helm upgrade');
    expect(runs).toContain('helm rollback');
    // The README shows the same install and samples steps.
    const readme = read('README.md');
    expect(readme).toContain('helm install parley charts/parley -n parley');
    expect(readme).toContain('kubectl -n parley apply -f k8s/samples/');
    const kindStep = job?.steps.find((s) => s.uses?.startsWith('helm/kind-action'));
    expect(kindStep?.with?.config).toBe('kind-config.yaml');
    for (const path of [
      'k8s/dev',
      'k8s/samples',
      'k8s/crds',
      'k8s/dev-values.yaml',
      'charts/parley',
      'kind-config.yaml',
    ]) {
      expect(exists(path), path).toBe(true);
    }
  });
});

describe("the kind CI workflow and the README's kind steps", () => {
  it('are the same commands, in the same order', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('### On a kind cluster, as CI does'));
    const block = section.match(/```sh\n([\s\S]*?)\n```/)?.[1] ?? '';
    const commands = (text: string) =>
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
    const kind = job?.steps.find((s) => s.uses?.startsWith('helm/kind-action'))?.with;
    const workflowCommands = [
      `kind create cluster --name ${kind?.cluster_name} --config ${kind?.config}`,
      `export SERVICES="${job?.env?.SERVICES}"`,
      // Every step that runs on success (the diagnostics run only on failure).
      ...(job?.steps ?? []).filter((s) => s.run && !s.if).flatMap((s) => commands(s.run ?? '')),
    ];
    expect(workflowCommands.length).toBeGreaterThan(15);
    expect(commands(block)).toEqual(workflowCommands);
    // The end-to-end journey: its command line, on the sample Tenant, through a Service the dev
    // release renders, with the operator's credential from k8s/dev.
    expect(exists('tests/e2e/journey.ts')).toBe(true);
    const sample = parse(read('k8s/samples/tenant-acme.yaml')) as {
      kind: string;
      metadata: { name: string };
    };
    expect(sample.kind).toBe('Tenant');
    expect(runs).toContain(
      `node tests/e2e/journey.ts --gateway http://localhost:30000 --auth http://localhost:3007 --tenant ${sample.metadata.name}`,
    );
    const forwarded = runs.match(/port-forward service\/([a-z-]+) (\d+):(\d+)/);
    expect(named('Service')).toContain(forwarded?.[1]);
    const auth = devRelease.find((m) => m.kind === 'Service' && m.metadata.name === forwarded?.[1]);
    const authPorts = (auth?.spec as { ports?: { port: number }[] } | undefined)?.ports ?? [];
    expect(authPorts.map((p) => p.port)).toContain(Number(forwarded?.[3]));
    expect(read('k8s/dev/03-service-credentials.yaml')).toContain('name: parley-operator-credentials');
    // The upgrade is the chart's alone: its pre-upgrade hook applies the CRDs, none by hand.
    expect(runs).not.toContain('k8s/crds');
  });
});

describe('the dev deployment', () => {
  it('is accepted by the API server', async () => {
    await kubectl(['apply', '-f', join(repoRoot, 'k8s/dev/00-namespace.yaml')]);
    const output = await kubectl(
      ['apply', '--dry-run=server', '--namespace', 'parley', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: devRelease }),
    );
    expect(output.trim().split('\n')).toHaveLength(devRelease.length);
    for (const deployment of devRelease.filter(isWorkload)) {
      const spec = deployment.spec as {
        replicas: number;
        template: { spec: { containers: { image: string }[] } };
      };
      expect(spec.replicas).toBe(1);
      expect(spec.template.spec.containers[0]?.image).toMatch(/^localhost\/parley\/[a-z-]+:0\.1\.0$/);
    }
  });
});
