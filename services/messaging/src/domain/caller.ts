/** Who a request acts for: the verified user the gateway named, in the tenant of the path. */
export interface Caller {
  tenant: string;
  userId: string;
  roles: readonly string[];
}

/** A tenant administrator may manage any group or channel of the tenant (archive, members). */
export const isTenantAdmin = (caller: Caller) => caller.roles.includes('admin');
