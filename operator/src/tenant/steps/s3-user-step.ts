/**
 * S3: the tenant's own MinIO user (access key `tenant-<id>`, secret key from the tenant's Secret)
 * mapped to exactly one canned policy that reaches its own bucket and nothing else (s3-user.ts).
 * Read first, write only what differs, so a steady reconcile costs three concurrent reads and no
 * add-user (whose body is encrypted under a key derived on both ends). Drift comes back:
 * a user or policy removed by hand is recreated, a policy widened by hand is rewritten, another
 * policy mapped or a group joined by hand is undone, and a secret key changed by hand is set back
 * to the Secret's (the tenant's services keep working). A suspended tenant's user is disabled.
 */
import { type AccountStatus, type MinioAdmin, samePolicy } from '@parley/minio-admin';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';
import { s3AccessKey, s3PolicyName, tenantBucketPolicy } from './s3-user.ts';

export class S3UserStep implements TenantStep {
  readonly name = 'S3User';
  readonly #admin: MinioAdmin;

  constructor(admin: MinioAdmin) {
    this.#admin = admin;
  }

  async apply({ desired, credentials, event }: TenantStepContext): Promise<StepOutcome> {
    const admin = this.#admin;
    const user = s3AccessKey(desired.id);
    const policyName = s3PolicyName(desired.id);
    const policy = tenantBucketPolicy(desired.id);
    const status: AccountStatus = desired.suspended ? 'disabled' : 'enabled';
    const secretKey = credentials.s3SecretKey;
    const corrected: string[] = [];

    // Three independent reads in one round trip: the policy, the user, and whether the Secret's
    // keys still sign as that user (only meaningful for an enabled user that exists).
    const [stored, info, recognised] = await Promise.all([
      admin.cannedPolicy(policyName),
      admin.userInfo(user),
      status === 'enabled' ? admin.withCredentials(user, secretKey).credentialsRecognised() : true,
    ]);
    // Policy and user do not depend on each other: written side by side. The mapping names the
    // policy, so it comes after both (a user is only ever mapped to a policy that exists).
    const writePolicy = async () => {
      if (!stored) {
        await admin.putCannedPolicy(policyName, policy);
        event('Normal', 'S3PolicyCreated', `MinIO canned policy ${policyName} created`);
      } else if (!samePolicy(stored, policy)) {
        await admin.putCannedPolicy(policyName, policy);
        corrected.push('policy rewritten');
        event(
          'Warning',
          'S3PolicyRestored',
          `MinIO canned policy ${policyName} differed from the spec; rewritten`,
        );
      }
    };
    // add-user creates the user, or rewrites its secret key and status together: once for a new
    // user, a suspension change, or an enabled user whose Secret keys no longer sign.
    const writeUser = async () => {
      if (info && info.status === status && recognised) return;
      await admin.setUser(user, secretKey, status);
      if (!info) {
        event('Normal', 'S3UserCreated', `MinIO user ${user} created`);
      } else if (info.status === status) {
        corrected.push('secret key reset to the Secret');
        event('Warning', 'S3SecretKeyRestored', `MinIO user ${user}'s secret key reset to the Secret's`);
      }
    };
    await Promise.all([writePolicy(), writeUser()]);

    if (info?.policyName !== policyName) {
      await admin.setUserPolicy(user, policyName);
      if (info) {
        corrected.push(`policies ${info.policyName ?? '(none)'} replaced`);
        event('Warning', 'S3PolicyMappingRestored', `MinIO user ${user} mapped to ${policyName} only`);
      }
    }
    for (const group of info?.memberOf ?? []) {
      await admin.removeUserFromGroup(user, group);
      corrected.push(`removed from group ${group}`);
      event('Warning', 'S3GroupMembershipRemoved', `MinIO user ${user} removed from group ${group}`);
    }

    const state = desired.suspended ? 'disabled (tenant suspended)' : 'enabled';
    return ready(
      'Provisioned',
      `MinIO user ${user} ${state}, mapped only to policy ${policyName}: objects and listing of bucket ${desired.bucket}, no other bucket, admin denied${corrected.length > 0 ? `; drift corrected: ${corrected.sort().join(', ')}` : ''}`,
    );
  }
}

/**
 * Removes the tenant's MinIO user, then its policy (the server refuses to remove a policy that is
 * still mapped). Both succeed when already gone, so a retried finalizer completes.
 */
export async function removeTenantS3User(admin: MinioAdmin, tenant: string): Promise<boolean> {
  const removed = await admin.removeUser(s3AccessKey(tenant));
  await admin.removeCannedPolicy(s3PolicyName(tenant));
  return removed;
}
