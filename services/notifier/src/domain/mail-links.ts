/**
 * The links mail carries, into the web client's fragment routes (web/src/router.ts): a fragment
 * never reaches a server, so the token in it stays out of every access log on the way.
 */
import type { MailKind } from './mail-requests.ts';

const ROUTES: Record<MailKind, string> = {
  invitation: 'invitation',
  'sign-up-verification': 'sign-up/verify',
  'password-reset': 'password-reset',
  // A notice carries no secret: it points at sign-in, where "forgot password" starts a reset.
  'account-exists': 'sign-in',
  // Where the person sees and ends their sessions.
  'new-device': 'account',
};

export function mailLink(webUrl: string, kind: MailKind, tenant: string, token?: string): string {
  const query = new URLSearchParams({ tenant });
  if (token) query.set('token', token);
  return `${webUrl.replace(/\/+$/, '')}/#/${ROUTES[kind]}?${query}`;
}

/** The token a link carries (tests and the benchmark read it back out of a mail). */
export function tokenOfLink(link: string): string | undefined {
  const fragment = new URL(link).hash.replace(/^#\/?/, '');
  return new URLSearchParams(fragment.split('?')[1] ?? '').get('token') ?? undefined;
}
