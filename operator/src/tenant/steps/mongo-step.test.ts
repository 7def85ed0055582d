/**
 * The Mongo step's user and role commands, against a fake that answers like MongoDB (the local
 * FerretDB has neither users nor roles, so the integration tests cannot reach this path). The
 * commands are MongoDB's own (createRole, updateRole, createUser, updateUser).
 */
import type { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../api/resources.ts';
import { desiredTenant, TENANT_WORKLOAD_ROLE } from '../desired-state.ts';
import type { TenantStepContext } from '../step.ts';
import { MongoStep } from './mongo-step.ts';

type Command = Record<string, unknown>;

/** A database that has every collection and index already, and users and roles as given. */
function fakeMongo(state: { roles: string[]; users: string[] }) {
  const commands: Command[] = [];
  const desired = desiredTenant(tenant);
  const db = {
    listCollections: () => ({
      toArray: async () => desired.mongo.collections.map((c) => ({ name: c.name })),
    }),
    collection: (name: string) => ({
      listIndexes: () => ({
        toArray: async () =>
          (desired.mongo.collections.find((c) => c.name === name)?.indexes ?? []).map((i) => ({
            name: i.name,
          })),
      }),
    }),
    command: async (command: Command) => {
      commands.push(command);
      if ('rolesInfo' in command) return { roles: state.roles.filter((r) => r === command.rolesInfo) };
      if ('usersInfo' in command) return { users: state.users.filter((u) => u === command.usersInfo) };
      return { ok: 1 };
    },
  };
  return { client: { db: () => db } as unknown as MongoClient, commands };
}

const tenant: Tenant = {
  apiVersion: 'parley.dev/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'parley', generation: 1, uid: 'u' },
  spec: { displayName: 'Acme', plan: 'team' },
};

function context(): TenantStepContext {
  return {
    tenant,
    desired: desiredTenant(tenant),
    credentials: {
      redisPassword: 'r',
      kafkaPassword: 'k',
      mongoPassword: 'm',
      s3SecretKey: 's',
      searchPassword: 'e',
    },
    event: () => {},
    facts: {},
    existingSecret: undefined,
    earlier: new Map(),
  };
}

const writes = (commands: Command[]) => commands.filter((c) => !('rolesInfo' in c) && !('usersInfo' in c));

describe('MongoStep on a server with users and roles', () => {
  it("creates the workload role, then the tenant's user holding only that role (never readWrite)", async () => {
    const { client, commands } = fakeMongo({ roles: [], users: [] });
    const outcome = await new MongoStep(client).apply(context());
    expect(outcome).toMatchObject({ status: 'True', reason: 'Provisioned' });
    expect(outcome.message).toContain(`role ${TENANT_WORKLOAD_ROLE} only`);
    const desired = desiredTenant(tenant);
    expect(writes(commands)).toEqual([
      { createRole: TENANT_WORKLOAD_ROLE, privileges: desired.mongo.workloadRole.privileges, roles: [] },
      { createUser: 'tenant-acme', pwd: 'm', roles: [{ role: TENANT_WORKLOAD_ROLE, db: 'parley_acme' }] },
    ]);
  });

  it('puts back a role widened by hand and takes readWrite away from an existing user', async () => {
    const { client, commands } = fakeMongo({ roles: [TENANT_WORKLOAD_ROLE], users: ['tenant-acme'] });
    await new MongoStep(client).apply(context());
    const desired = desiredTenant(tenant);
    expect(writes(commands)).toEqual([
      { updateRole: TENANT_WORKLOAD_ROLE, privileges: desired.mongo.workloadRole.privileges, roles: [] },
      { updateUser: 'tenant-acme', pwd: 'm', roles: [{ role: TENANT_WORKLOAD_ROLE, db: 'parley_acme' }] },
    ]);
  });
});
