/**
 * The signed-in session: the tenant and the token pair, kept in sessionStorage (one tab, gone
 * when it closes; never a cookie, so no CSRF surface). Every API call goes through the SDK with a
 * fetch that adds the current access token and, on a 401, rotates the pair once through
 * /tenants/:tenant/token and repeats the call.
 */
import { createParleyClient, type ParleyClient } from '@parley/sdk';

export interface Session {
  tenant: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

const KEY = 'parley.session';
const listeners = new Set<() => void>();

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function tokenClaims(token: string): { sub?: string; exp?: number } {
  const payload = token.split('.')[1] ?? '';
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; exp?: number };
  } catch {
    return {};
  }
}

/** The user id is the token's subject (the gateway verified it; the client only reads it). */
export function sessionUserId(session: Session): string {
  return tokenClaims(session.accessToken).sub ?? '';
}

const baseUrl = () => window.location.origin;

/** The SDK without a token: sign-in, invitations, refresh. */
export const anonymousApi: ParleyClient = createParleyClient({ baseUrl: window.location.origin });

let refreshing: Promise<boolean> | undefined;

async function refresh(session: Session): Promise<boolean> {
  const { data } = await anonymousApi.POST('/api/v1/tenants/{tenant}/token', {
    params: { path: { tenant: session.tenant } },
    body: { refreshToken: session.refreshToken },
  });
  if (!data) {
    saveSession(undefined);
    return false;
  }
  saveSession({ ...session, accessToken: data.accessToken, refreshToken: data.refreshToken });
  return true;
}

async function authorizedFetch(request: Request): Promise<Response> {
  const attempt = (req: Request) => {
    const token = currentSession()?.accessToken;
    if (token) req.headers.set('authorization', `Bearer ${token}`);
    return fetch(req);
  };
  const retry = request.clone();
  const answer = await attempt(request);
  const session = currentSession();
  if (answer.status !== 401 || !session) return answer;
  // One refresh for all calls that met the expiry at once (the refresh token rotates on use).
  refreshing ??= refresh(session).finally(() => {
    refreshing = undefined;
  });
  return (await refreshing) ? attempt(retry) : answer;
}

/**
 * An access token valid for at least `minSeconds` more, rotating the pair first when it is not
 * (the socket presents it at connect and on re-authentication, where no 401 can trigger a refresh).
 */
export async function freshAccessToken(minSeconds = 60): Promise<string> {
  const session = currentSession();
  if (!session) return '';
  const exp = tokenClaims(session.accessToken).exp ?? 0;
  if (exp * 1000 - Date.now() > minSeconds * 1000) return session.accessToken;
  refreshing ??= refresh(session).finally(() => {
    refreshing = undefined;
  });
  await refreshing;
  return currentSession()?.accessToken ?? '';
}

/** The SDK as the signed-in user. */
export const api: ParleyClient = createParleyClient({ baseUrl: baseUrl(), fetch: authorizedFetch });
