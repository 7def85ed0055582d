/** Maps domain errors to problem details, so every refusal has a stable type and never a stack trace. */
import { AuditIntegrityError, AuditNotFoundError, AuditRecordRejectedError } from '@parley/audit-chain';
import { KeyringError } from '@parley/keyring';
import { ProblemError, problems } from '@parley/kit';
import { InvalidRetentionPolicyError, LegalHoldError } from '@parley/retention';
import { InvalidTenantIdError } from '@parley/tenancy';
import { GdprError } from './gdpr-error.ts';

export function complianceProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof AuditNotFoundError) return problems.notFound(error.message);
  if (error instanceof AuditRecordRejectedError) {
    return new ProblemError(400, 'audit-record-rejected', 'Audit record refused', error.message, {
      recordId: error.recordId,
    });
  }
  if (error instanceof AuditIntegrityError) {
    return new ProblemError(
      409,
      'audit-integrity',
      'The audit log does not match its signed checkpoints',
      error.message,
    );
  }
  if (error instanceof GdprError) {
    if (error.code === 'not-found') return problems.notFound(error.message);
    if (error.code === 'conflict') return problems.conflict(error.message);
    if (error.code === 'gone') return problems.gone(error.message);
    return problems.badRequest(error.message);
  }
  if (error instanceof LegalHoldError) {
    return new ProblemError(409, 'legal-hold', 'Under legal hold', error.message, {
      holdIds: error.holds.map((h) => h.id),
    });
  }
  if (error instanceof InvalidRetentionPolicyError) {
    return new ProblemError(
      400,
      'invalid-retention-policy',
      'Invalid retention policy',
      error.problems.join('; '),
    );
  }
  if (error instanceof InvalidTenantIdError) return problems.badRequest(error.message);
  if (error instanceof KeyringError)
    return new ProblemError(error.httpStatus, error.code, 'Key operation refused', error.message);
  return undefined;
}
