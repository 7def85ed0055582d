/** The record of one purge run (or dry run): what each resource lost, kept for holds, and why it failed. */
export interface ResourceCounts {
  /** Expired items looked at. */
  examined: number;
  /** Items deleted (0 in a dry run). */
  deleted: number;
  /** Expired items kept because a legal hold covers them. */
  skippedHeld: number;
  /** In a dry run: items that would be deleted. */
  wouldDelete: number;
}

export interface RetentionRun {
  id: string;
  tenant: string;
  policy: string;
  dryRun: boolean;
  /** succeeded: every rule ran; partial: some rules failed; failed: none ran; aborted: stopped early. */
  status: 'succeeded' | 'partial' | 'failed' | 'aborted';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: Partial<Record<string, ResourceCounts>>;
  /** Ids of the holds that kept items, so a person can see what is being preserved. */
  holdsApplied: string[];
  /** Resources the policy names but no store here can purge yet. */
  unsupportedResources: string[];
  /** In a dry run: a few ids per resource that would go. */
  sample: Partial<Record<string, string[]>>;
  errors: { resource: string; message: string }[];
}

export function emptyCounts(): ResourceCounts {
  return { examined: 0, deleted: 0, skippedHeld: 0, wouldDelete: 0 };
}
