/**
 * RetentionPolicy media rules on the local stack: the reconciler (real API server, Mongo-wire and
 * MinIO) purges the tenant's media bucket by the contracts layout, keeps young and held objects,
 * honours a rule's conversation selector, counts media in status like the other resources, only
 * counts in dryRun, and never touches another tenant's bucket.
 *
 * S3 sets LastModified itself, so "old" objects are uploaded before an instant T and young ones
 * after it, and the reconciler is given a clock at T + 30 days (the rule's maximum age). Driving
 * the reconciler directly (no manager, no Tenant reconcile) keeps this test to the stores it is
 * about: the tenant's registry entry is written as provisioning would leave it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mediaObjectKey, mediaObjectMetadata } from '@parley/contracts';
import { createS3Client } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { LegalHoldStore } from '@parley/retention';
import { mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionPolicyStatus } from '../src/api/resources.ts';
import { createPlatformaticAdmin } from '../src/clients.ts';
import { createEventRecorder } from '../src/manager/event-recorder.ts';
import { connectKube } from '../src/manager/kube-client.ts';
import { RetentionPolicyReconciler } from '../src/retention-policy/retention-policy-reconciler.ts';
import { type RegistryEntry, registryCollection } from '../src/tenant/registry.ts';
import {
  type ConditionView,
  ensureCrdsAndNamespace,
  getJson,
  kubectl,
  kubectlOk,
  operatorConfig,
  uniqueId,
} from './operator-fixture.ts';

const DAY = 86_400_000;
const namespace = uniqueId('oprm-');
const tenant = uniqueId('trm');
const other = uniqueId('trn');
const config = operatorConfig(namespace);
const s3 = createS3Client(config);
const kafka = createPlatformaticAdmin(config.KAFKA_BROKERS, config.KAFKA_USERNAME, config.KAFKA_PASSWORD);
const kube = connectKube(config.KUBECONFIG);
let mongo: MongoClient;
let cutoff: Date;

const key = (conversationId: string, mediaId: string) => mediaObjectKey({ conversationId, mediaId });
const OLD_FREE = Array.from({ length: 5 }, (_, i) => key('c-free', `m${i}`));
const KEPT = [
  key('c-case', 'h1'), // a conversation hold
  key('c-free', 'by-bob'), // a person hold on the uploader
  key('c-free', 'young'),
  key('c-long', 'l1'), // its own rule keeps a year
].sort();

async function put(t: string, name: string, uploader: string): Promise<void> {
  const body = Buffer.from(`media ${name}`);
  await s3.putObject(s3BucketName(t), name, body, body.length, mediaObjectMetadata(uploader));
}

async function keys(t: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of s3.listObjectsV2(s3BucketName(t), '', true)) if (item.name) names.push(item.name);
  return names.sort();
}

function reconcilerAt(now: Date): RetentionPolicyReconciler {
  return new RetentionPolicyReconciler({
    kube,
    mongo,
    kafka,
    s3,
    events: createEventRecorder(kube, 'parley.dev/operator', 'retention-media-test', createSilentLogger()),
    now: () => now,
  });
}

async function applyPolicy(name: string, dryRun: boolean): Promise<void> {
  await kubectlOk(
    ['apply', '-n', namespace, '-f', '-'],
    `apiVersion: parley.dev/v1alpha1
kind: RetentionPolicy
metadata:
  name: ${name}
spec:
  tenantRef: {name: ${tenant}}
  schedule: "0 3 * * *"
  dryRun: ${dryRun}
  rules:
    - {resource: media, maxAge: 30d}
    - resource: media
      maxAge: 365d
      conversationSelector: {conversationIds: [c-long]}
`,
  );
}

async function status(name: string) {
  const object = await getJson<{ status?: RetentionPolicyStatus & { conditions?: ConditionView[] } }>(
    namespace,
    `retentionpolicy/${name}`,
  );
  return object?.status;
}

beforeAll(async () => {
  await ensureCrdsAndNamespace(namespace);
  mongo = await new MongoClient(config.MONGO_URL).connect();
  const entry: RegistryEntry = {
    _id: tenant,
    owner: { namespace, name: tenant, uid: uniqueId('uid-') },
    displayName: tenant,
    plan: 'free',
    quotas: { users: 10, storageGiB: 1, messagesPerSecond: 5 },
    status: 'Ready',
    generation: 1,
    suspended: false,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  await registryCollection(mongo).insertOne(entry);
  for (const t of [tenant, other]) await s3.makeBucket(s3BucketName(t));
  for (const name of OLD_FREE) await put(tenant, name, 'u1');
  await put(tenant, key('c-free', 'by-bob'), 'bob');
  await put(tenant, key('c-case', 'h1'), 'u1');
  await put(tenant, key('c-long', 'l1'), 'u1');
  await put(other, OLD_FREE[0] as string, 'u1');
  // A HEAD reports LastModified to the second: leave clear air either side of T.
  await sleep(1_500);
  cutoff = new Date();
  await sleep(1_500);
  await put(tenant, key('c-free', 'young'), 'u1');
  const holds = new LegalHoldStore(mongo, tenant);
  await holds.place({ scope: { kind: 'person', userId: 'bob' }, reason: 'Case 11', setBy: 'counsel' });
  await holds.place({
    scope: { kind: 'conversation', conversationId: 'c-case' },
    reason: 'Case 12',
    setBy: 'counsel',
  });
}, 120_000);

afterAll(async () => {
  await kubectl(['delete', '-n', namespace, 'retentionpolicies', '--all']);
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  for (const t of [tenant, other]) {
    const bucket = s3BucketName(t);
    if (!(await s3.bucketExists(bucket))) continue;
    await s3.removeObjects(bucket, await keys(t));
    await s3.removeBucket(bucket);
  }
  await registryCollection(mongo).deleteOne({ _id: tenant });
  await mongo.db(mongoDatabaseName(tenant)).dropDatabase();
  await mongo.close();
  await kafka.close();
}, 120_000);

describe('RetentionPolicy media rules', { timeout: 120_000 }, () => {
  it('in dryRun counts the media that would go and the held objects, and deletes nothing', async () => {
    await applyPolicy('media-dry', true);
    await reconcilerAt(new Date(cutoff.getTime() + 30 * DAY)).reconcile({ namespace, name: 'media-dry' });
    const seen = await status('media-dry');
    expect(seen?.lastRun).toMatchObject({ dryRun: true, purged: { media: 5 }, skippedForHolds: 2 });
    const purge = seen?.conditions?.find((c) => c.type === 'Purge');
    expect(purge).toMatchObject({ status: 'True', reason: 'DryRun' });
    expect(purge?.message).toContain('media: 5 would go, 2 held');
    expect(await keys(tenant)).toEqual([...OLD_FREE, ...KEPT].sort());
    await kubectlOk(['delete', '-n', namespace, 'retentionpolicy', 'media-dry']);
  });

  it('purges old media, keeps young, held and selected-conversation objects, and another tenant’s bucket', async () => {
    const now = new Date(cutoff.getTime() + 30 * DAY);
    await applyPolicy('media', false);
    await reconcilerAt(now).reconcile({ namespace, name: 'media' });
    const seen = await status('media');
    expect(seen?.lastRun).toMatchObject({ dryRun: false, purged: { media: 5 }, skippedForHolds: 2 });
    const purge = seen?.conditions?.find((c) => c.type === 'Purge');
    expect(purge).toMatchObject({ status: 'True', reason: 'Purged' });
    expect(purge?.message).toBe('succeeded: media: 5 purged, 2 held');
    expect(seen?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(await keys(tenant)).toEqual(KEPT);
    expect(await keys(other)).toEqual([OLD_FREE[0]]);

    // The next day's run: what went is not counted again, the young object has aged past 30 days
    // and goes, and the holds still keep theirs.
    await reconcilerAt(new Date(now.getTime() + DAY)).reconcile({ namespace, name: 'media' });
    expect((await status('media'))?.lastRun).toMatchObject({ purged: { media: 1 }, skippedForHolds: 2 });
    expect(await keys(tenant)).toEqual(KEPT.filter((k) => k !== key('c-free', 'young')));
  });
});
