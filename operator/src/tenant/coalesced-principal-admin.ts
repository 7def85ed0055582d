/**
 * The Kafka principal calls of concurrent reconciles, coalesced (see group-commit.ts): one
 * AlterUserScramCredentials, one CreateAcls (+ DeleteAcls) and one AlterClientQuotas serve every
 * Tenant that asked while the previous call was in flight. Each of
 * these is a write the KRaft controller applies one request at a time, so many small requests
 * wait on each other. When a batched call fails, each tenant's part is retried alone, so one
 * tenant's refusal (or a broker error) is reported on that tenant only.
 */
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Admin } from 'kafkajs';
import type { DesiredTenant } from './desired-state.ts';
import { allOk, eachAlone, GroupCommit, type ItemResult } from './group-commit.ts';
import {
  setQuotasOfUsers,
  setUserQuotas,
  upsertScramUser,
  upsertScramUsers,
} from './steps/kafka-principal.ts';
import {
  aclChanges,
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

export class CoalescedPrincipalAdmin implements PrincipalAdmin {
  readonly #scram: GroupCommit<{ user: string; password: string }, void>;
  readonly #acls: GroupCommit<DesiredTenant, AclResult>;
  readonly #quotas: GroupCommit<{ user: string; quotas: Quotas }, void>;

  constructor(kafka: Admin, platformatic: PlatformaticAdmin) {
    this.#scram = new GroupCommit((users) =>
      batchedOrAlone(
        users,
        async (all) => {
          // Kafka refuses a user twice in one request; one reconcile per Tenant makes that rare.
          if (new Set(all.map((u) => u.user)).size < all.length) throw new Error('duplicate user');
          await upsertScramUsers(platformatic, all);
          return allOk(all.length, undefined);
        },
        (u) => upsertScramUser(platformatic, u.user, u.password),
      ),
    );
    this.#quotas = new GroupCommit((users) =>
      batchedOrAlone(
        users,
        async (all) => {
          await setQuotasOfUsers(platformatic, all);
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
              aclChanges(desired, await describePrincipalAcls(kafka, `User:${desired.kafka.principal}`)),
            ),
          );
          const missing = changes.flatMap((c) => c.missing);
          const stale = changes.flatMap((c) => c.stale);
          if (missing.length > 0) await kafka.createAcls({ acl: missing });
          if (stale.length > 0) await kafka.deleteAcls({ filters: stale });
          return changes.map((c) => ({
            ok: true as const,
            value: { created: c.missing.length, removed: c.stale.length },
          }));
        },
        (desired) => reconcileAcls(kafka, desired),
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
