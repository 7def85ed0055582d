/**
 * For tests of the routes themselves (not of caller scoping): one caller, `tester`, that may use
 * every purpose and manage keys. Tests of the scoping build the app with Parley's real rules.
 */
import { ServiceCallers } from '@parley/kit';
import { CallerAccess } from '../domain/caller-access.ts';

export function unrestrictedCaller(token: string): { callers: ServiceCallers; access: CallerAccess } {
  return {
    callers: ServiceCallers.of({ tester: token }),
    access: new CallerAccess({
      purposeOwners: [{ purpose: '*', services: ['tester'] }],
      keyAdmins: ['tester'],
    }),
  };
}
