/**
 * IAM policy documents as MinIO stores them, and a comparison that ignores what the server
 * rewrites: MinIO parses a canned policy into sets and writes it back out with its own key and
 * element order (and drops empty fields), so "is the stored policy still ours" must compare
 * meaning, not text.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

const asArray = (value: unknown): string[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/** One statement as a sorted, order-free string; conditions compared by their sorted JSON. */
function statementKey(statement: Record<string, unknown>): string {
  const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  const conditions = Object.keys(condition)
    .sort()
    .map((operator) => {
      const byKey = condition[operator] ?? {};
      return [
        operator,
        Object.keys(byKey)
          .sort()
          .map((k) => [k, asArray(byKey[k]).sort()]),
      ];
    });
  return JSON.stringify([
    statement.Effect,
    asArray(statement.Action).sort(),
    asArray(statement.Resource).sort(),
    conditions,
  ]);
}

/** True when both documents grant and deny the same things (statement and element order aside). */
export function samePolicy(a: unknown, b: unknown): boolean {
  const statements = (doc: unknown) =>
    asStatements(doc)
      .map(statementKey)
      .sort()
      // Duplicate statements change nothing.
      .filter((key, i, all) => i === 0 || all[i - 1] !== key);
  const left = statements(a);
  const right = statements(b);
  return left.length === right.length && left.every((key, i) => key === right[i]);
}

function asStatements(doc: unknown): Record<string, unknown>[] {
  const statement = (doc as { Statement?: unknown } | null)?.Statement;
  if (!Array.isArray(statement)) return [];
  return statement.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null);
}
