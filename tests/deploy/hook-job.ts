/**
 * No container runs on the stack's control plane (kwok's nodes only mark pods running), so a
 * helm hook Job whose container does real work (kubectl apply) is done by the test: the caller
 * keeps the Job's pod off the nodes (a nodeSelector no node has), so the Job controller counts it
 * active and nothing completes it. For a hook whose one container runs kubectl, the test does its
 * work: it reads the Job's pod template, runs its
 * command with the stack's kubectl as the template's ServiceAccount (impersonated, so RBAC is what
 * the pod would get), with its ConfigMap volumes written to a folder where they are mounted, and
 * writes the Job's status as the Job controller does when its pod succeeded or failed. Helm takes
 * it from there. What this does not prove is the image: that kubectl is in it and runs under the
 * pod's security context (the restricted namespace's admission of the pod is a separate check).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stackSetting } from '../setup/stack-env.ts';
import { kubectl } from './helm.ts';

const run = promisify(execFile);

export interface PodTemplate {
  serviceAccountName: string;
  containers: {
    name: string;
    command: string[];
    volumeMounts?: { name: string; mountPath: string }[];
  }[];
  volumes?: { name: string; configMap?: { name: string } }[];
}

interface Job {
  spec: { template: { spec: PodTemplate } };
}

/** Waits for the Job, runs its one kubectl container, records the outcome; returns kubectl's output. */
export async function runKubectlHookJob(
  namespace: string,
  name: string,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let job: Job | undefined;
  while (!job) {
    job = await kubectl(['get', 'job', name, '-n', namespace, '-o', 'json']).then(
      (text) => JSON.parse(text) as Job,
      () => undefined,
    );
    if (job) break;
    if (Date.now() > deadline) throw new Error(`Job ${name} did not appear in ${namespace}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const pod = job.spec.template.spec;
  const [container] = pod.containers;
  if (!container || pod.containers.length !== 1) throw new Error('one container expected');
  const [binary, ...args] = container.command;
  if (binary !== 'kubectl') throw new Error(`the hook runs ${binary}, not kubectl`);

  // Its ConfigMaps where it mounts them, as files in a folder of ours.
  const root = mkdtempSync(join(tmpdir(), 'parley-hook-job-'));
  const paths = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    const dir = join(root, mount.name);
    mkdirSync(dir, { recursive: true });
    paths.set(mount.mountPath, dir);
    if (!volume?.configMap) continue;
    const configMap = JSON.parse(
      await kubectl(['get', 'configmap', volume.configMap.name, '-n', namespace, '-o', 'json']),
    ) as { data: Record<string, string> };
    for (const [file, text] of Object.entries(configMap.data)) writeFileSync(join(dir, file), text);
  }
  const localArgs = args.map((arg) => {
    for (const [mountPath, dir] of paths) {
      if (arg === mountPath || arg.startsWith(`${mountPath}/`)) return dir + arg.slice(mountPath.length);
      if (arg.includes(`=${mountPath}`)) return arg.replace(`=${mountPath}`, `=${dir}`);
    }
    return arg;
  });
  const as = `system:serviceaccount:${namespace}:${pod.serviceAccountName}`;
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let output: string;
  let failed = false;
  try {
    output = (await run(stackSetting('PARLEY_KUBECTL'), [...localArgs, `--as=${as}`])).stdout;
  } catch (error) {
    failed = true;
    output = String((error as { stderr?: string }).stderr ?? error);
  }
  // The stack's Job controller may already have stamped the Job's startTime (it runs now), and
  // the API server refuses a different one: keep its stamp when there is one.
  const current = JSON.parse(await kubectl(['get', 'job', name, '-n', namespace, '-o', 'json'])) as {
    status?: { startTime?: string };
  };
  await kubectl([
    'patch',
    'job',
    name,
    '-n',
    namespace,
    '--subresource=status',
    '--type=merge',
    '-p',
    // Its pod, held Pending, is no longer active once the Job is finished (the API server insists).
    JSON.stringify({
      status: { ...jobStatus(failed, current.status?.startTime ?? started), active: 0, ready: 0 },
    }),
  ]);
  if (failed) throw new Error(`the hook's kubectl failed: ${output}`);
  return output;
}

/** The status the Job controller writes for a one-pod Job whose pod succeeded or failed. */
function jobStatus(failed: boolean, started: string): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastProbeTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  if (failed) {
    return {
      startTime: started,
      failed: 1,
      conditions: [
        condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      ],
    };
  }
  return {
    startTime: started,
    completionTime: now,
    succeeded: 1,
    conditions: [
      condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
    ],
  };
}
