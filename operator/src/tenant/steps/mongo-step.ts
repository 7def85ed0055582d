/**
 * Mongo: the tenant's database with its collections and indexes, and, where the server manages
 * users and roles, the tenant's own user holding only the custom role desired-state.ts's
 * mongoWorkloadRole computes (read its messaging collections; nothing of auth's or compliance's,
 * no write anywhere), both re-applied on each reconcile so a widened role or user is put back.
 * The local FerretDB has neither createUser nor createRole; that is detected from the server's
 * answer and written in the condition's message, never papered over.
 */
import type { MongoClient, MongoServerError } from 'mongodb';
import type { MongoRoleSpec } from '../desired-state.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

/** Server answers that mean "this server has no user management" (CommandNotFound, NotImplemented). */
const UNSUPPORTED_CODES = new Set([59, 115, 238]);
/** An index with these keys exists under another name or options (a service made it): fine. */
const INDEX_CONFLICT_CODES = new Set([85, 86]);

export function mongoUsername(tenant: string): string {
  return `tenant-${tenant}`;
}

export class MongoStep implements TenantStep {
  readonly name = 'Mongo';
  readonly #client: MongoClient;
  constructor(client: MongoClient) {
    this.#client = client;
  }

  async apply({ desired, credentials, facts }: TenantStepContext): Promise<StepOutcome> {
    const db = this.#client.db(desired.mongo.database);
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    // One createIndexes per collection: on a missing collection it creates the collection and all
    // its indexes in one command (on FerretDB each collection is a PostgreSQL table, so every DDL
    // command is a catalog transaction: one instead of 1 + n). Only missing indexes are asked
    // for, so a settled tenant's resync costs a listIndexes per collection. One collection after
    // another: side by side did not make this step faster under load (the server's DDL does not
    // overlap), it only made every other query wait behind more DDL (measured at 32 Tenants in
    // flight: this step ~1.9 s either way, the Keys step's three small queries 2.1-2.5 s -> 1.1 s).
    const ensure = async (collection: (typeof desired.mongo.collections)[number]): Promise<boolean> => {
      const isNew = !existing.has(collection.name);
      const present = isNew
        ? new Set<string>()
        : new Set((await db.collection(collection.name).listIndexes().toArray()).map((i) => String(i.name)));
      const missing = collection.indexes.filter((index) => !present.has(index.name));
      const specs = missing.map((index) => ({
        key: index.key,
        name: index.name,
        unique: index.unique ?? false,
      }));
      if (specs.length === 0 && isNew) {
        await db.createCollection(collection.name).catch((error: MongoServerError) => {
          if (error.code !== 48) throw error; // 48 NamespaceExists: created concurrently
        });
      } else if (specs.length > 0) {
        await db
          .collection(collection.name)
          .createIndexes(specs)
          .catch(async (error: MongoServerError) => {
            if (!INDEX_CONFLICT_CODES.has(error.code as number)) throw error;
            // One of them exists under another name or options: the others one by one.
            for (const spec of specs) {
              await db
                .collection(collection.name)
                .createIndexes([spec])
                .catch((inner: MongoServerError) => {
                  if (!INDEX_CONFLICT_CODES.has(inner.code as number)) throw inner;
                });
            }
          });
      }
      return isNew;
    };
    const perCollection: boolean[] = [];
    for (const collection of desired.mongo.collections) perCollection.push(await ensure(collection));
    const created = perCollection.filter(Boolean).length;
    const indexes = desired.mongo.collections.reduce((n, c) => n + c.indexes.length, 0);
    const role = desired.mongo.workloadRole;
    const user = await this.#ensureUser(
      desired.mongo.database,
      mongoUsername(desired.id),
      credentials.mongoPassword,
      role,
    );
    facts.mongoUserSupported = user.supported;
    const what = `database ${desired.mongo.database}: ${desired.mongo.collections.length} collections (${created} created now), ${indexes} indexes`;
    if (user.supported)
      return ready(
        'Provisioned',
        `${what}; user ${mongoUsername(desired.id)} with role ${role.role} only (find on ${role.privileges.map((p) => p.resource.collection).join(', ')})`,
      );
    return ready(
      'ProvisionedWithoutUser',
      `${what}; no per-tenant Mongo user: the server does not support createUser or createRole (${user.detail}), so no tenant-scoped Mongo credential exists: the Secret names the database but carries no Mongo user, and a connection there gets whatever the server gives an unauthenticated client (the role ${desired.mongo.workloadRole.role} is computed and applied wherever createRole exists)`,
    );
  }

  async #ensureUser(
    database: string,
    user: string,
    password: string,
    role: MongoRoleSpec,
  ): Promise<{ supported: boolean; detail: string }> {
    const db = this.#client.db(database);
    const roles = [{ role: role.role, db: database }];
    try {
      // The role first (the user names it); updateRole replaces its privileges, undoing a hand edit.
      const defined = (await db.command({ rolesInfo: role.role })) as { roles?: unknown[] };
      const body = { privileges: role.privileges, roles: role.roles };
      if (defined.roles && defined.roles.length > 0) await db.command({ updateRole: role.role, ...body });
      else await db.command({ createRole: role.role, ...body });
      const info = (await db.command({ usersInfo: user })) as { users?: unknown[] };
      if (info.users && info.users.length > 0) await db.command({ updateUser: user, pwd: password, roles });
      else await db.command({ createUser: user, pwd: password, roles });
      return { supported: true, detail: '' };
    } catch (error) {
      const serverError = error as MongoServerError;
      if (typeof serverError.code === 'number' && UNSUPPORTED_CODES.has(serverError.code)) {
        return {
          supported: false,
          detail: `${serverError.codeName ?? serverError.code}: ${serverError.message}`,
        };
      }
      throw error;
    }
  }
}

export async function dropTenantDatabase(client: MongoClient, database: string): Promise<void> {
  await client.db(database).dropDatabase();
}
