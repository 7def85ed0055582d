/**
 * What deleting a Tenant does, by spec.deletionPolicy (run by the finalizer, so the Tenant object
 * stays until cleanup outside the cluster is done):
 * - Retain: access is revoked (Redis ACL user, Kafka SCRAM user, ACLs and quotas, MinIO user and
 *   its canned policy removed; the registry and runtime record say Deleted) and every byte of
 *   data stays: database, topics, Redis keys, bucket, index and keys. A new Tenant of the same
 *   name and namespace takes the data over (with new credentials) when its spec.adoptRetained
 *   says so (registry.ts claimTenantId).
 * - Delete: as Retain, then the data goes too: database dropped, content topics deleted (the
 *   lifecycle and keys topics stay: they hold no content and carry the deletion's events), Redis keys
 *   unlinked, bucket emptied and removed, index deleted, tenant key scheduled for destruction.
 * - CryptoShred: the tenant key is scheduled for destruction first (the keyring's KMS-style
 *   waiting period applies; destruction makes every ciphertext, including copies in backups,
 *   unreadable), then as Delete.
 * Each action is idempotent, so a finalizer interrupted halfway simply runs again.
 *
 * Legal holds outrank Delete and CryptoShred: while any hold of the tenant is active, access is
 * revoked (as Retain) and nothing else happens; run() throws TenantUnderLegalHoldError, the
 * finalizer stays, and the deletion proceeds at the first reconcile after the last hold is lifted.
 * Holds are asked before anything is destroyed and again just before the database is dropped (a
 * hold placed meanwhile); the keyring asks them once more before it schedules key destruction.
 */

import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Logger } from '@parley/kit';
import type { MinioAdmin } from '@parley/minio-admin';
import { markTenantRuntimeStatus } from '@parley/tenancy';
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { Client as MinioClient } from 'minio';
import type { Collection, MongoClient } from 'mongodb';
import type { DeletionPolicy, Tenant } from '../api/resources.ts';
import type { EventRecorder } from '../manager/event-recorder.ts';
import type { Kube } from '../manager/kube-client.ts';
import { deleteCredentialStore } from './credential-secrets.ts';
import { type DesiredTenant, desiredTenant } from './desired-state.ts';
import { type RegistryEntry, recordTenantDeleted } from './registry.ts';
import { deleteTenantBucket } from './steps/bucket-step.ts';
import { removeUserQuotas, revokeScramUser } from './steps/kafka-principal.ts';
import { principalAclFilter } from './steps/kafka-principal-step.ts';
import { deleteTenantTopics } from './steps/kafka-topics-step.ts';
import type { TenantKeys } from './steps/keys-step.ts';
import { removeTenantFromRedis } from './steps/redis-step.ts';
import { removeTenantS3User } from './steps/s3-user-step.ts';
import { deleteTenantIndex } from './steps/search-index-step.ts';
import { removeSearchUser } from './steps/search-security.ts';
import { activeTenantHolds, assertTenantNotHeld, TenantUnderLegalHoldError } from './tenant-legal-holds.ts';

/** Streams that outlive a Delete: the deletion and key-destruction events are published there. */
export const ANNOUNCEMENT_STREAMS = ['lifecycle', 'keys'] as const;

/** The keyring's shortest waiting period before key material is destroyed (AWS KMS's is 7 too). */
export const KEY_DESTRUCTION_WAITING_DAYS = 7;

export interface TenantDeletionDeps {
  mongo: MongoClient;
  registry: Collection<RegistryEntry>;
  redis: Redis;
  kafka: Admin;
  kafkaPlatformatic: PlatformaticAdmin;
  s3: MinioClient;
  s3Admin: MinioAdmin;
  elasticsearch: ElasticsearchClient;
  keys: TenantKeys;
  events: EventRecorder;
  logger: Logger;
  /**
   * Where the tenants' credential stores are (credential-secrets.ts); the deleted tenant's goes.
   * Unset without a cluster (local provisioning keeps credentials in an env file).
   */
  credentialStore?: { kube: Kube; namespace: string };
}

export class TenantDeletion {
  readonly #d: TenantDeletionDeps;

  constructor(deps: TenantDeletionDeps) {
    this.#d = deps;
  }

  async run(tenant: Tenant): Promise<void> {
    const d = this.#d;
    const desired = desiredTenant(tenant);
    const policy: DeletionPolicy = tenant.spec.deletionPolicy ?? 'Retain';
    const log = d.logger.child({ tenant: desired.id, deletionPolicy: policy });
    const done: string[] = [];

    // Only the Tenant object that owns the id may clean up: one refused as a duplicate (same
    // name, other namespace) must never revoke or delete the real tenant's data.
    const entry = await d.registry.findOne({ _id: desired.id });
    if (entry && entry.owner.uid !== tenant.metadata.uid) {
      await d.events.record(
        tenant,
        'Normal',
        'DeletedWithoutCleanup',
        `tenant id ${desired.id} belongs to ${entry.owner.namespace}/${entry.owner.name}; nothing to clean up`,
      );
      return;
    }

    const destroys = policy === 'Delete' || policy === 'CryptoShred';
    const holds = destroys ? await activeTenantHolds(d.mongo, desired.id) : [];
    if (holds.length > 0) {
      // Held: the tenant is gone for its users, its data is not.
      await this.#revokeAccess(desired);
      await markTenantRuntimeStatus(d.redis, desired.id, 'Deleted');
      throw new TenantUnderLegalHoldError(desired.id, holds);
    }

    if (policy === 'CryptoShred') done.push(await this.#scheduleKeyDestruction(desired.id));

    await this.#revokeAccess(desired);
    done.push(
      'revoked Redis, Kafka and MinIO users, ACLs, quotas, the MinIO policy and the Elasticsearch user (where the server has one)',
    );

    if (destroys) {
      await assertTenantNotHeld(d.mongo, desired.id); // a hold placed since the first look
      await d.mongo.db(desired.mongo.database).dropDatabase();
      const topics = await deleteTenantTopics(d.kafka, `parley.${desired.id}.`, ANNOUNCEMENT_STREAMS);
      const keys = await removeTenantFromRedis(d.redis, desired.redis.user, desired.redis.keyPattern, true);
      const objects = await deleteTenantBucket(d.s3, desired.bucket);
      await deleteTenantIndex(d.elasticsearch, desired.id, desired.searchIndex);
      done.push(
        `dropped ${desired.mongo.database}, deleted ${topics.length} content topics (kept ${ANNOUNCEMENT_STREAMS.join(', ')} for the deletion's own events), ${keys} Redis keys, bucket ${desired.bucket} (${objects} objects), index ${desired.searchIndex}`,
      );
      if (policy === 'Delete') done.push(await this.#scheduleKeyDestruction(desired.id));
    } else {
      // Services refuse the tenant from the runtime record; its data stays for a successor.
      await markTenantRuntimeStatus(d.redis, desired.id, 'Deleted');
      done.push('kept database, topics, Redis keys, bucket, index and keys (Retain)');
    }

    // New credentials for whoever adopts a retained tenant: the old passwords are not handed on.
    if (d.credentialStore) {
      await deleteCredentialStore(d.credentialStore.kube, desired.id, d.credentialStore.namespace);
    }
    await recordTenantDeleted(
      d.registry,
      desired.id,
      tenant.metadata.uid ?? '',
      policy,
      tenant.metadata.generation ?? 0,
      new Date(),
    );
    log.info({ done }, 'tenant deleted');
    await d.events.record(tenant, 'Normal', `Deleted${policy}`, done.join('; '));
  }

  /** Access goes under every policy, and while a legal hold keeps the data. */
  async #revokeAccess(desired: DesiredTenant): Promise<void> {
    const d = this.#d;
    await removeTenantFromRedis(d.redis, desired.redis.user, desired.redis.keyPattern, false);
    await revokeScramUser(d.kafkaPlatformatic, desired.kafka.principal);
    await removeUserQuotas(d.kafkaPlatformatic, desired.kafka.principal);
    await d.kafka.deleteAcls({ filters: [principalAclFilter(desired)] });
    await removeTenantS3User(d.s3Admin, desired.id);
    await removeSearchUser(d.elasticsearch, desired.id);
  }

  async #scheduleKeyDestruction(tenant: string): Promise<string> {
    const keys = await this.#d.keys.listKeys(tenant);
    for (const key of keys) {
      if (key.state === 'enabled') {
        await this.#d.keys.scheduleDestruction(tenant, key.keyName, {
          waitingDays: KEY_DESTRUCTION_WAITING_DAYS,
        });
      }
    }
    return `scheduled destruction of ${keys.length} key(s) in ${KEY_DESTRUCTION_WAITING_DAYS} days (no key can be used meanwhile)`;
  }
}
