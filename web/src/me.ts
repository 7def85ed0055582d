/** The signed-in person's profile (`GET /api/v1/me`), read once per session and shared by the pages. */

import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { api, currentSession, onSessionChange } from './session.ts';

export type Me = paths['/api/v1/me']['get']['responses'][200]['content']['application/json'];

let cached: { sessionId: string; me: Promise<Me | undefined> } | undefined;
onSessionChange(() => {
  if (cached && cached.sessionId !== currentSession()?.sessionId) cached = undefined;
});

export function loadMe(force = false): Promise<Me | undefined> {
  const sessionId = currentSession()?.sessionId ?? '';
  if (force || !cached || cached.sessionId !== sessionId) {
    cached = {
      sessionId,
      me: api.GET('/api/v1/me').then(
        ({ data }) => data,
        () => undefined,
      ),
    };
  }
  return cached.me;
}

export function useMe(): [Me | undefined, () => void] {
  const [me, setMe] = useState<Me | undefined>();
  const [round, setRound] = useState(0);
  useEffect(() => {
    let stale = false;
    loadMe(round > 0).then((answer) => stale || setMe(answer));
    return () => {
      stale = true;
    };
  }, [round]);
  return [me, () => setRound((r) => r + 1)];
}

export const isAdmin = (me?: Me) => Boolean(me?.roles.includes('admin'));
export const isOfficer = (me?: Me) => Boolean(me?.roles.includes('compliance-officer'));
