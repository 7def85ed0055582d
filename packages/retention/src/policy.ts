/**
 * A retention policy: per tenant, how long each kind of data is kept. The operator's
 * RetentionPolicy reconciler writes it (RetentionPolicyStore) and the compliance service and the
 * operator both purge by it (runPurge). A rule may name conversations; for those conversations it
 * replaces the tenant-wide rule of the same resource (the most specific rule wins, so a
 * conversation can be kept longer *or* shorter than the rest).
 */
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';

export const RETENTION_RESOURCES = ['messages', 'media', 'audit'] as const;
export type RetentionResource = (typeof RETENTION_RESOURCES)[number];

export const RetentionResourceSchema = Type.Union([
  Type.Literal('messages'),
  Type.Literal('media'),
  Type.Literal('audit'),
]);

export const RetentionRuleSchema = Type.Object(
  {
    resource: RetentionResourceSchema,
    /** Items older than this are expired. At least one hour: a typo must not wipe live data. */
    maxAgeSeconds: Type.Integer({ minimum: 3600 }),
    /** When set, the rule covers only these conversations (messages and media). */
    conversationIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000 }),
    ),
  },
  { additionalProperties: false },
);
export type RetentionRule = Static<typeof RetentionRuleSchema>;

export const RetentionPolicySchema = Type.Object(
  {
    /** Stable name (the RetentionPolicy object's namespace/name, or "default"). */
    name: Type.String({ minLength: 1, maxLength: 253 }),
    rules: Type.Array(RetentionRuleSchema, { maxItems: 100 }),
    /** Report what would go without deleting anything. */
    dryRun: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type RetentionPolicy = Static<typeof RetentionPolicySchema>;

const policyValidator = Compile(RetentionPolicySchema);

export class InvalidRetentionPolicyError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid retention policy: ${problems.join('; ')}`);
    this.name = 'InvalidRetentionPolicyError';
    this.problems = problems;
  }
}

/** Validates a policy, and refuses one that names a conversation twice for the same resource. */
export function parseRetentionPolicy(value: unknown): RetentionPolicy {
  if (!policyValidator.Check(value)) {
    throw new InvalidRetentionPolicyError(
      [...policyValidator.Errors(value)].map((e) => `${e.instancePath || '/'} ${e.message}`),
    );
  }
  const policy = value as RetentionPolicy;
  const seen = new Set<string>();
  const general = new Set<string>();
  for (const rule of policy.rules) {
    if (!rule.conversationIds) {
      if (general.has(rule.resource)) {
        throw new InvalidRetentionPolicyError([`two tenant-wide rules for ${rule.resource}`]);
      }
      general.add(rule.resource);
      continue;
    }
    if (rule.resource === 'audit') {
      throw new InvalidRetentionPolicyError(['audit rules cannot select conversations']);
    }
    for (const id of rule.conversationIds) {
      const key = `${rule.resource}/${id}`;
      if (seen.has(key))
        throw new InvalidRetentionPolicyError([`conversation ${id} has two ${rule.resource} rules`]);
      seen.add(key);
    }
  }
  return policy;
}

/** What one rule selects: items of `resource` older than `before`, within or outside conversations. */
export interface RuleSelection {
  rule: RetentionRule;
  resource: RetentionResource;
  before: Date;
  /** Only these conversations (a specific rule). */
  conversationIds?: string[];
  /** Every conversation except these (a tenant-wide rule, minus the ones with their own rule). */
  excludeConversationIds?: string[];
}

/** Turns a policy into selections at a given time; pure, so the operator can show it in a dry run. */
export function selectionsAt(policy: RetentionPolicy, now: Date): RuleSelection[] {
  const specific = new Map<RetentionResource, string[]>();
  for (const rule of policy.rules) {
    if (rule.conversationIds)
      specific.set(rule.resource, [...(specific.get(rule.resource) ?? []), ...rule.conversationIds]);
  }
  return policy.rules.map((rule) => {
    const before = new Date(now.getTime() - rule.maxAgeSeconds * 1000);
    if (rule.conversationIds)
      return { rule, resource: rule.resource, before, conversationIds: rule.conversationIds };
    const exclude = specific.get(rule.resource);
    return { rule, resource: rule.resource, before, ...(exclude ? { excludeConversationIds: exclude } : {}) };
  });
}

const DURATION = /^([1-9][0-9]*)(s|m|h|d|w|y)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** "90d", "12h", "1y" -> seconds, for CRDs and config that speak in durations. */
export function parseDurationSeconds(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match?.[1] || !match[2])
    throw new InvalidRetentionPolicyError([`duration ${JSON.stringify(text)} must look like 90d, 12h or 1y`]);
  return Number(match[1]) * (UNIT_SECONDS[match[2]] ?? 0);
}
