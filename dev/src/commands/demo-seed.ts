// `npm start`'s demo people and conversations: once the demo tenant serves, three people are
// invited (auth's internal route, the operator's credential, as for the first admin), accept with
// a password printed on the console, and talk in a channel, a group and a direct conversation
// through the gateway's public API, so the first page a newcomer opens shows a living chat.
// The first admin is a member of all of them before accepting: an accepted invitation's user takes
// the invitation's id (auth), which the invitation answer names.
const DEMO_PASSWORD = 'parley-demo-password';

const PEOPLE = [
  { email: 'alice@demo.example', displayName: 'Alice Martin' },
  { email: 'bob@demo.example', displayName: 'Bob Okafor' },
  { email: 'carol@demo.example', displayName: 'Carol Nguyen' },
] as const;

export interface DemoSeedTarget {
  tenant: string;
  authUrl: string;
  gatewayUrl: string;
  operatorToken: string;
  /** The first admin's user id to be (their invitation's id). */
  adminUserId: string;
}

interface Person {
  id: string;
  token: string;
}

async function json(url: string, init: RequestInit, signal: AbortSignal): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${String(body.detail ?? '')}`);
  return body;
}

/** Invites (or finds) one demo person, accepts with the demo password, signs in. */
async function person(
  target: DemoSeedTarget,
  who: (typeof PEOPLE)[number],
  signal: AbortSignal,
): Promise<Person | undefined> {
  const invitation = await json(
    `${target.authUrl}/v1/internal/tenants/${target.tenant}/invitations`,
    {
      method: 'POST',
      headers: { 'x-service-token': target.operatorToken },
      body: JSON.stringify({ email: who.email, roles: ['member'], invitedBy: 'operator', reissue: true }),
    },
    signal,
  );
  const api = `${target.gatewayUrl}/api/v1/tenants/${target.tenant}`;
  if (typeof invitation.token === 'string')
    await json(
      `${api}/invitations/accept`,
      {
        method: 'POST',
        body: JSON.stringify({
          token: invitation.token,
          password: DEMO_PASSWORD,
          displayName: who.displayName,
        }),
      },
      signal,
    );
  const login = await json(
    `${api}/login`,
    { method: 'POST', body: JSON.stringify({ email: who.email, password: DEMO_PASSWORD }) },
    signal,
  );
  // Someone changed the password or enrolled TOTP: that person is theirs now, not the seed's.
  if (typeof login.accessToken !== 'string') return undefined;
  return { id: String(invitation.invitationId), token: login.accessToken };
}

/** Seeds once: a second start finds Alice's #general and leaves the conversations as they are. */
export async function seedDemo(target: DemoSeedTarget, signal: AbortSignal): Promise<string[]> {
  const [alice, bob, carol] = await Promise.all(PEOPLE.map((p) => person(target, p, signal)));
  if (!alice || !bob || !carol)
    return ['demo people: one of them no longer signs in with the demo password; nothing seeded'];
  const api = `${target.gatewayUrl}/api/v1`;
  const as = (p: Person) => ({ authorization: `Bearer ${p.token}` });
  const mine = await json(`${api}/conversations`, { headers: as(alice) }, signal);
  const items = (mine.conversations ?? []) as { name?: string }[];
  const lines = [
    `demo people: ${PEOPLE.map((p) => p.email).join(', ')} (password ${DEMO_PASSWORD}) sign in at ${target.gatewayUrl}/`,
  ];
  if (items.some((c) => c.name === 'general')) return [...lines, 'demo conversations: already there'];

  let n = 0;
  const say = async (p: Person, conversationId: string, text: string) =>
    json(
      `${api}/conversations/${conversationId}/messages`,
      { method: 'POST', headers: as(p), body: JSON.stringify({ clientMessageId: `demo-seed-${++n}`, text }) },
      signal,
    );
  const create = async (body: object) =>
    String(
      (
        await json(
          `${api}/conversations`,
          { method: 'POST', headers: as(alice), body: JSON.stringify(body) },
          signal,
        )
      ).id,
    );

  const general = await create({
    kind: 'channel',
    name: 'general',
    topic: 'Everything and nothing',
    visibility: 'public',
    memberIds: [bob.id, carol.id, target.adminUserId],
  });
  await say(alice, general, 'Welcome to Parley! This channel is for everyone in the demo organisation.');
  await say(bob, general, 'Morning all. Coffee is on the third floor today.');
  await say(carol, general, `@${alice.id} thanks for setting this up`);
  const launch = await create({
    kind: 'group',
    name: 'Launch plan',
    memberIds: [bob.id, target.adminUserId],
  });
  await say(alice, launch, 'Draft timeline is in the shared folder; comments by Friday please.');
  await say(bob, launch, 'Looks good. I would move the beta a week later.');
  const direct = String(
    (
      await json(
        `${api}/conversations/direct`,
        { method: 'POST', headers: as(alice), body: JSON.stringify({ userId: target.adminUserId }) },
        signal,
      )
    ).id,
  );
  await say(
    alice,
    direct,
    'Hi! Once you have set your password, have a look around: #general is the busiest place.',
  );
  return [
    ...lines,
    'demo conversations: #general, the group "Launch plan" and a direct message to the admin',
  ];
}
