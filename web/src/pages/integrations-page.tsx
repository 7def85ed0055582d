/**
 * The tenant admin's integrations: outgoing webhooks with their delivery log, incoming webhooks
 * (a secret URL posting into a conversation), and bots with their tokens. Anyone else sees a sentence (and the gateway refuses them the API anyway).
 */
import { Bots } from '../integrations/bots.tsx';
import { IncomingWebhooks } from '../integrations/incoming-webhooks.tsx';
import { OutgoingWebhooks } from '../integrations/outgoing-webhooks.tsx';
import { isAdmin, useMe } from '../me.ts';
import { PageFrame } from './page-frame.tsx';

export function IntegrationsPage() {
  const [me] = useMe();
  if (!me)
    return (
      <PageFrame title="Integrations" current="integrations">
        <p role="status">Loading…</p>
      </PageFrame>
    );
  if (!isAdmin(me))
    return (
      <PageFrame title="Integrations" current="integrations">
        <p>This page is for the organisation's admins.</p>
      </PageFrame>
    );
  return (
    <PageFrame title="Integrations" current="integrations">
      <section aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Outgoing webhooks</h2>
        <p class="hint">
          Each delivery is signed by the Standard Webhooks scheme (headers webhook-id, webhook-timestamp,
          webhook-signature) with the endpoint's secret, and sent at least once with retries.
        </p>
        <OutgoingWebhooks />
      </section>
      <section aria-labelledby="incoming-title">
        <h2 id="incoming-title">Incoming webhooks</h2>
        <p class="hint">
          A secret URL that posts into one conversation: send it <code>{'{"text": "..."}'}</code> as JSON
          (Slack's body; other fields are ignored).
        </p>
        <IncomingWebhooks />
      </section>
      <section aria-labelledby="bots-title">
        <h2 id="bots-title">Bots</h2>
        <Bots />
      </section>
    </PageFrame>
  );
}
