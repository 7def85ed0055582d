/**
 * Auth with one credential per caller (SERVICE_TOKENS), as main.ts builds it: only the operator
 * opens /internal; the gateway's credential (which it holds to forward client addresses) does not.
 * The one internal route that is the gateway's, the display names of a members list, takes the
 * gateway's credential and no other, and answers names only.
 */
import { randomBytes } from 'node:crypto';
import { type ServiceApp, ServiceCallers } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { type AuthFixture, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

const token = (name: string) => `${name}-credential-${randomBytes(12).toString('hex')}`;
const TOKENS = { operator: token('operator'), gateway: token('gateway'), compliance: token('compliance') };

let f: AuthFixture;
let app: ServiceApp;
beforeAll(async () => {
  f = await openAuthFixture();
  app = buildApp({ ...f.components, logger: createSilentLogger('auth'), callers: ServiceCallers.of(TOKENS) });
});
afterAll(async () => {
  await app?.close();
  await f?.close();
});

const invite = (caller: keyof typeof TOKENS, email: string) =>
  app.inject({
    method: 'POST',
    url: `/v1/internal/tenants/${f.tenant}/invitations`,
    headers: { 'x-service-token': TOKENS[caller] },
    payload: { email, roles: ['admin'] },
  });

describe('auth internal routes with per-service credentials', () => {
  it("the gateway's credential cannot open auth's internal routes", async () => {
    const forged = await invite('gateway', 'mallory@example.com');
    // For /internal only the operator's credential counts as one: any other is refused as none.
    expect(forged.statusCode).toBe(401);
    expect(forged.json().type).toBe('https://parley.dev/problems/unauthorized');
    expect(forged.body).not.toContain('"token"');
    expect((await invite('compliance', 'mallory@example.com')).statusCode).toBe(401);
    // The operator, whose endpoint it is, still invites.
    const invited = await invite('operator', 'first.admin@example.com');
    expect(invited.statusCode).toBe(201);
  });
});

describe("the gateway's display-name lookup", () => {
  const names = (caller: keyof typeof TOKENS, userIds: string[]) =>
    app.inject({
      method: 'POST',
      url: `/v1/internal/tenants/${f.tenant}/people/names`,
      headers: { 'x-service-token': TOKENS[caller] },
      payload: { userIds },
    });

  it('answers the display names of known ids to the gateway only, and nothing else about them', async () => {
    const invited = await invite('operator', 'named.person@example.com');
    const accepted = await app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/invitations/accept`,
      payload: { token: invited.json().token, password: PASSWORD, displayName: 'Named Person' },
    });
    expect(accepted.statusCode).toBe(201);
    const userId = accepted.json().id as string;

    const answer = await names('gateway', [userId, 'nobody-here']);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ people: [{ userId, displayName: 'Named Person' }] });
    expect(answer.body).not.toContain('named.person@example.com');
    expect((await names('operator', [userId])).statusCode).toBe(401);
    expect((await names('compliance', [userId])).statusCode).toBe(401);
  });
});
