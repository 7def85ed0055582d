/**
 * What of one tenant's desired state a store listing lacks: each entry names the missing thing
 * (`topic parley.acme.messages`, `redis user tenant-acme`...). Mostly presence, which the batched
 * listings answer for every tenant at once; the MinIO listings carry what the S3 identity holds
 * too (its policy document, mapping and groups), so a widened policy is found here as well. What
 * else a present thing contains (a widened Redis rule, a topic's configs) is the reconcile's job,
 * which a drifted tenant gets.
 */

import { samePolicy } from '@parley/minio-admin';
import type { DesiredTenant } from '../desired-state.ts';
import { tenantAcls } from '../steps/kafka-principal-step.ts';
import { mongoUsername } from '../steps/mongo-step.ts';
import { s3AccessKey, s3PolicyName, tenantBucketPolicy } from '../steps/s3-user.ts';
import { searchRoleName, searchUsername } from '../steps/search-security.ts';
import { aclKeyOf, type StoreListing } from './drift-listing.ts';

export function driftOf(desired: DesiredTenant, listing: StoreListing): string[] {
  const missing: string[] = [];
  for (const topic of desired.kafka.topics) {
    if (!listing.topics.has(topic.name)) missing.push(`topic ${topic.name}`);
  }
  const principal = `User:${desired.kafka.principal}`;
  const acls = listing.aclsByPrincipal.get(principal);
  const absentAcls = tenantAcls(desired).filter((a) => !acls?.has(aclKeyOf(a))).length;
  if (absentAcls > 0) missing.push(`${absentAcls} kafka acl(s) of ${principal}`);
  if (!listing.redisUsers.has(desired.redis.user)) missing.push(`redis user ${desired.redis.user}`);
  if (!listing.databases.has(desired.mongo.database))
    missing.push(`mongo database ${desired.mongo.database}`);
  const mongoUser = `${desired.mongo.database}.${mongoUsername(desired.id)}`;
  if (listing.mongoUsers && !listing.mongoUsers.has(mongoUser)) missing.push(`mongo user ${mongoUser}`);
  if (!listing.buckets.has(desired.bucket)) missing.push(`bucket ${desired.bucket}`);
  missing.push(...s3Drift(desired.id, listing));
  if (!listing.indices.has(desired.searchIndex)) missing.push(`search index ${desired.searchIndex}`);
  const role = searchRoleName(desired.id);
  if (listing.searchRoles && !listing.searchRoles.has(role)) missing.push(`search role ${role}`);
  const searchUser = searchUsername(desired.id);
  if (listing.searchUsers && !listing.searchUsers.has(searchUser)) missing.push(`search user ${searchUser}`);
  return missing;
}

/** The tenant's MinIO user, its one policy (as the operator wrote it) and nothing more. */
function s3Drift(tenant: string, listing: StoreListing): string[] {
  const missing: string[] = [];
  const user = s3AccessKey(tenant);
  const policy = s3PolicyName(tenant);
  const document = listing.s3Policies.get(policy);
  if (document === undefined) missing.push(`s3 policy ${policy}`);
  else if (!samePolicy(document, tenantBucketPolicy(tenant))) missing.push(`s3 policy ${policy} changed`);
  const info = listing.s3Users.get(user);
  if (!info) return [...missing, `s3 user ${user}`];
  if (info.policies.length !== 1 || info.policies[0] !== policy)
    missing.push(`s3 user ${user} mapped to [${info.policies.join(', ')}], not [${policy}]`);
  if (info.groups.length > 0) missing.push(`s3 user ${user} in group(s) ${info.groups.join(', ')}`);
  return missing;
}
