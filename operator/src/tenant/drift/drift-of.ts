/**
 * What of one tenant's desired state a store listing lacks: each entry names the missing thing
 * (`topic parley.acme.messages`, `redis user tenant-acme`...). Only presence is compared here,
 * which the batched listings answer for every tenant at once; what a present thing contains (a
 * widened Redis rule, a topic's configs) is the reconcile's job, which a drifted tenant gets.
 */

import type { DesiredTenant } from '../desired-state.ts';
import { tenantAcls } from '../steps/kafka-principal-step.ts';
import { mongoUsername } from '../steps/mongo-step.ts';
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
  if (!listing.indices.has(desired.searchIndex)) missing.push(`search index ${desired.searchIndex}`);
  return missing;
}
