/**
 * The Kafka principal calls of concurrent reconciles, coalesced (see group-commit.ts): one
 * AlterUserScramCredentials, one CreateAcls (+ DeleteAcls) and one AlterClientQuotas serve every
 * Tenant that asked while the previous call was in flight. Each of
 * these is a write the KRaft controller applies one request at a time, so many small requests
 * wait on each other. When a batched call fails, each tenant's part is retried alone, so one
 * tenant's refusal (or a broker error) is reported on that tenant only.
 *
 * A settled tenant's reconcile writes nothing (a resync of 1,000 tenants was 1,000 SCRAM records
 * and 1,000 quota requests through the controller): the quotas are read first and written only
 * where they differ, and a SCRAM credential is written again only when this process has not
 * written this password for this user, when the broker no longer has a SCRAM-SHA-512 credential
 * of the iterations it writes (deleted by hand), or once `scramRewriteMs` has passed since this
 * process last wrote it. Kafka never answers a credential's salt or key, so a password changed by
 * hand (same mechanism and iterations) cannot be seen: the periodic rewrite (default 1 hour) and
 * the operator's restart are what put it back.
 */
import { createHash } from 'node:crypto';
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { DesiredTenant } from './desired-state.ts';
import { allOk, eachAlone, GroupCommit, type ItemResult } from './group-commit.ts';
import {
  describeScramUsers,
  describeUserQuotas,
  hasOwnScramCredential,
  setQuotasOfUsers,
  setUserQuotas,
  upsertScramUser,
  upsertScramUsers,
} from './steps/kafka-principal.ts';
import {
  aclChanges,
  createAcls,
  deleteAcls,
  describePrincipalAcls,
  type PrincipalAdmin,
  reconcileAcls,
} from './steps/kafka-principal-step.ts';

type Quotas = DesiredTenant['kafka']['quotas'];
type AclResult = { created: number; removed: number };

/** Runs the batched call; if it fails and more than one tenant shares it, each one alone. */
async function batchedOrAlone<I, O>(
  items: I[],
  batched: (items: I[]) => Promise<ItemResult<O>[]>,
  alone: (item: I) => Promise<O>,
): Promise<ItemResult<O>[]> {
  try {
    return await batched(items);
  } catch (error) {
    if (items.length === 1) throw error;
    return eachAlone(items, alone);
  }
}

export interface PrincipalAdminOptions {
  /** A SCRAM credential this process wrote is written again after this long (default 1 hour). */
  scramRewriteMs?: number;
  now?: () => number;
}

const digestOf = (user: string, password: string) =>
  createHash('sha256').update(user).update('\0').update(password).digest('base64');

export class CoalescedPrincipalAdmin implements PrincipalAdmin {
  readonly #scram: GroupCommit<{ user: string; password: string }, void>;
  readonly #acls: GroupCommit<DesiredTenant, AclResult>;
  readonly #quotas: GroupCommit<{ user: string; quotas: Quotas }, void>;
  /** The password (as a digest) this process last wrote for each user, and when. */
  readonly #written = new Map<string, { digest: string; at: number }>();

  /** Every call goes through @platformatic/kafka (see kafka-principal-step.ts for why not kafkajs). */
  constructor(platformatic: PlatformaticAdmin, options: PrincipalAdminOptions = {}) {
    const rewriteMs = options.scramRewriteMs ?? 60 * 60_000;
    const now = options.now ?? Date.now;
    const upsert = async (users: { user: string; password: string }[]) => {
      await upsertScramUsers(platformatic, users);
      for (const u of users) this.#written.set(u.user, { digest: digestOf(u.user, u.password), at: now() });
    };
    this.#scram = new GroupCommit((users) =>
      batchedOrAlone(
        users,
        async (all) => {
          // Kafka refuses a user twice in one request; one reconcile per Tenant makes that rare.
          if (new Set(all.map((u) => u.user)).size < all.length) throw new Error('duplicate user');
          const known = all.filter((u) => {
            const written = this.#written.get(u.user);
            return written?.digest === digestOf(u.user, u.password) && now() - written.at < rewriteMs;
          });
          const present =
            known.length > 0
              ? await describeScramUsers(
                  platformatic,
                  known.map((u) => u.user),
                )
              : new Map();
          const stale = all.filter((u) => !known.includes(u) || !hasOwnScramCredential(present.get(u.user)));
          if (stale.length > 0) await upsert(stale);
          return allOk(all.length, undefined);
        },
        async (u) => {
          await upsertScramUser(platformatic, u.user, u.password);
          this.#written.set(u.user, { digest: digestOf(u.user, u.password), at: now() });
        },
      ),
    );
    this.#quotas = new GroupCommit((users) =>
      batchedOrAlone(
        users,
        async (all) => {
          // Reads side by side (answered from the broker's cache); only what differs is written.
          const current = await Promise.all(all.map((u) => describeUserQuotas(platformatic, u.user)));
          const differing = all.filter(
            (u, i) =>
              current[i]?.producer_byte_rate !== u.quotas.producerByteRate ||
              current[i]?.consumer_byte_rate !== u.quotas.consumerByteRate,
          );
          if (differing.length > 0) await setQuotasOfUsers(platformatic, differing);
          return allOk(all.length, undefined);
        },
        (u) => setUserQuotas(platformatic, u.user, u.quotas),
      ),
    );
    this.#acls = new GroupCommit((tenants) =>
      batchedOrAlone(
        tenants,
        async (all) => {
          // Reads side by side, one per principal (a broker answers them from its own cache, and
          // a listing of every principal would grow with the cluster); the writes, which the
          // controller applies one request at a time, as one request of each kind.
          const changes = await Promise.all(
            all.map(async (desired) =>
              aclChanges(
                desired,
                await describePrincipalAcls(platformatic, `User:${desired.kafka.principal}`),
              ),
            ),
          );
          await createAcls(
            platformatic,
            changes.flatMap((c) => c.missing),
          );
          await deleteAcls(
            platformatic,
            changes.flatMap((c) => c.stale),
          );
          return changes.map((c) => ({
            ok: true as const,
            value: { created: c.missing.length, removed: c.stale.length },
          }));
        },
        (desired) => reconcileAcls(platformatic, desired),
      ),
    );
  }

  upsertScramUser(user: string, password: string): Promise<void> {
    return this.#scram.submit({ user, password });
  }

  reconcileAcls(desired: DesiredTenant): Promise<AclResult> {
    return this.#acls.submit(desired);
  }

  setUserQuotas(user: string, quotas: Quotas): Promise<void> {
    return this.#quotas.submit({ user, quotas });
  }
}
