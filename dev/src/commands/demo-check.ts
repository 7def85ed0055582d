// `npm start`'s smoke check of the demo tenant, once the operator says it is Ready: do the
// services really serve it? A Ready condition alone once hid a tenant that every service refused
// (the operator and the services disagreed on one word of the runtime record), so this asks the
// services themselves, and then tells the newcomer how to sign in.
import { randomBytes } from 'node:crypto';

export interface DemoCheckTarget {
  tenant: string;
  adminEmail: string;
  authUrl: string;
  complianceUrl: string;
  /** Where the gateway serves the web client (`/`): the invitation link opens there. */
  webUrl: string;
  /** The operator's service credential: it may call auth's internal invitations route. */
  operatorToken: string;
  /** The gateway's service credential: it reads a tenant's audit log for its officers. */
  gatewayToken: string;
}

export interface DemoCheckResult {
  ok: boolean;
  lines: string[];
  /** The first admin's user id (to be): an accepted invitation's user takes the invitation's id. */
  adminUserId?: string;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(url: string, init: RequestInit, signal: AbortSignal): Promise<Answer> {
  const response = await fetch(url, {
    ...init,
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

async function becameReady(url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    const ready = await fetch(`${url}/ready`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Asks until the answer is good or SETTLE_MS have passed; returns the last answer. */
const SETTLE_MS = 90_000;
async function settled(
  ask: () => Promise<Answer>,
  good: (a: Answer) => boolean,
  signal: AbortSignal,
): Promise<Answer> {
  const deadline = Date.now() + SETTLE_MS;
  let answer = await ask();
  while (!good(answer) && Date.now() < deadline && !signal.aborted) {
    await new Promise((r) => setTimeout(r, 3_000));
    answer = await ask();
  }
  return answer;
}

const problem = (a: Answer) =>
  `${a.status} ${String(a.body.title ?? '')}: ${String(a.body.detail ?? '')}`.trim();

/**
 * Three questions, each answered by a real request:
 * 1. does auth's tenant gate let the tenant through? (a sign-in with an address nobody has must
 *    be refused as a wrong credential, 401, not as an unknown or suspended tenant);
 * 2. does compliance serve its audit log? (verification answers 200);
 * 3. how does the first admin get in? (a fresh invitation token while it is pending).
 */
export async function checkDemoTenant(
  target: DemoCheckTarget,
  signal: AbortSignal,
): Promise<DemoCheckResult> {
  const lines: string[] = [];
  let ok = true;
  // A Tenant that was Ready before this start is Ready at once, before the services listen.
  for (const url of [target.authUrl, target.complianceUrl]) {
    if (!(await becameReady(url, 120_000, signal)))
      return { ok: false, lines: [`${url} was not ready within 120 s`] };
  }
  const json = { 'content-type': 'application/json' };
  const internal = { ...json, 'x-service-token': target.operatorToken };

  // Ready may be the Tenant's status from before a stack restart, whose Redis kept nothing: the
  // operator publishes the runtime record again at its first reconcile, seconds later. So a
  // refusal is asked again for a while before it counts.
  const signIn = await settled(
    () =>
      call(
        `${target.authUrl}/v1/tenants/${target.tenant}/login`,
        {
          method: 'POST',
          headers: json,
          body: JSON.stringify({
            email: `smoke-check@${target.tenant}.example`,
            password: randomBytes(12).toString('base64url'),
          }),
        },
        signal,
      ),
    (a) => a.status === 401,
    signal,
  );
  if (signIn.status === 401)
    lines.push(`auth serves ${target.tenant} (a sign-in reaches the password check)`);
  else {
    ok = false;
    lines.push(`auth refuses ${target.tenant}: ${problem(signIn)}`);
  }

  const verify = await settled(
    () =>
      call(
        `${target.complianceUrl}/v1/tenants/${target.tenant}/audit/verify`,
        { headers: { 'x-service-token': target.gatewayToken } },
        signal,
      ),
    (a) => a.status === 200,
    signal,
  );
  if (verify.status === 200) lines.push(`compliance serves ${target.tenant} (its audit log verifies)`);
  else {
    ok = false;
    lines.push(`compliance refuses ${target.tenant}: ${problem(verify)}`);
  }

  const invitation = await call(
    `${target.authUrl}/v1/internal/tenants/${target.tenant}/invitations`,
    {
      method: 'POST',
      headers: internal,
      body: JSON.stringify({
        email: target.adminEmail,
        roles: ['admin'],
        invitedBy: 'npm start',
        reissue: true,
      }),
    },
    signal,
  );
  if (typeof invitation.body.token === 'string') {
    // The notifier mails it too (to the stack's Mailpit, whose address npm start prints); it is
    // shown here as well so a newcomer without the notifier running can still accept it.
    const accept = JSON.stringify({
      token: invitation.body.token,
      password: '<choose 12+ characters>',
      displayName: 'Demo Admin',
    });
    const link = `${target.webUrl}/#/invitation?tenant=${encodeURIComponent(target.tenant)}&token=${encodeURIComponent(invitation.body.token)}`;
    lines.push(
      `${target.adminEmail} is invited (this token replaces any earlier one, and is mailed: see "mail" above); choose a password in the web client:`,
      `  ${link}`,
      'or accept it with curl:',
      `  curl -s -H 'content-type: application/json' ${target.authUrl}/v1/tenants/${target.tenant}/invitations/accept -d '${accept}'`,
    );
  } else if (invitation.body.state === 'accepted') {
    lines.push(
      `${target.adminEmail} has accepted the invitation; sign in at ${target.webUrl}/ (or POST ${target.authUrl}/v1/tenants/${target.tenant}/login)`,
    );
  } else {
    ok = false;
    lines.push(`the invitation of ${target.adminEmail} could not be read: ${problem(invitation)}`);
  }
  const adminUserId =
    typeof invitation.body.invitationId === 'string' ? invitation.body.invitationId : undefined;
  return { ok, lines, ...(adminUserId ? { adminUserId } : {}) };
}
