export { AddressPolicy, EgressRefusedError } from './address-policy.ts';
export {
  assertReachable,
  createGuardedFetch,
  type GuardedFetch,
  type GuardedFetchOptions,
  type ResolvedAddress,
  type Resolver,
  systemResolver,
} from './guarded-fetch.ts';
