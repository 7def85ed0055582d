/**
 * The compliance officer's page: legal holds and retention. The audit log with Verify has its own
 * page. What the gateway does not expose yet is named here: GDPR requests for another person.
 */
import { LegalHolds } from '../compliance/legal-holds.tsx';
import { RetentionOverview } from '../compliance/retention-overview.tsx';
import { PageFrame } from './page-frame.tsx';

export function CompliancePage() {
  return (
    <PageFrame title="Compliance" current="compliance">
      <p>
        <a href="#/audit">The audit log and its verification</a>
      </p>
      <section aria-labelledby="holds-title">
        <h2 id="holds-title">Legal holds</h2>
        <LegalHolds />
      </section>
      <section aria-labelledby="retention-title">
        <h2 id="retention-title">Retention</h2>
        <RetentionOverview />
      </section>
      <section aria-labelledby="gdpr-title">
        <h2 id="gdpr-title">GDPR requests</h2>
        <p class="hint">
          Each person exports their own data from their account page. Starting an export or an erasure for
          someone else, following it and downloading its signed receipt are not offered by the API yet.
        </p>
      </section>
    </PageFrame>
  );
}
