/**
 * Live delivery: one socket per signed-in tab (packages/socket-client, through the gateway's
 * `/socket.io/` on this origin), whose changes the open views apply as they come. socket-client
 * already delivers each conversation's changes in seq order and once, and recovers what a
 * disconnect missed (sync by seq) after every reconnect; the views keep their own polling of
 * `/changes` only while the socket is not live, so a page behind a proxy that drops websockets
 * still works, only later.
 */
import { ParleySocket } from '@parley/socket-client';
import { currentSession, freshAccessToken, onSessionChange, saveSession } from '../session.ts';
import type { Change } from './types.ts';

/** online, away or offline, as the socket service says (the SDK's socket-client types). */
export type PresenceStatus = Awaited<ReturnType<ParleySocket['presenceOf']>>[number]['status'];
type ChangeListener = (conversationId: string, change: Change) => void;

const changeListeners = new Set<ChangeListener>();
const statusListeners = new Set<(live: boolean) => void>();
const membershipListeners = new Set<() => void>();
const typingListeners = new Set<(conversationId: string, userIds: string[]) => void>();
const presenceListeners = new Set<(userId: string, status: PresenceStatus) => void>();
let socket: ParleySocket | undefined;
let live = false;
let stopWatching: (() => void) | undefined;

/** Re-authentication this long before the access token's expiry (the socket ends at `exp`). */
const REAUTHENTICATE_BEFORE_S = 90;
const TOKEN_CHECK_MS = 30_000;

function setLive(value: boolean): void {
  if (live === value) return;
  live = value;
  for (const listener of statusListeners) listener(value);
}

export function isLive(): boolean {
  return live;
}

/** Connects once per tab; later calls do nothing. */
export function startLive(): void {
  if (socket || !currentSession()) return;
  // The token the socket holds: asked at each (re)connect, replaced on the open socket whenever
  // the pair rotates (here before expiry, or by an API call that met a 401).
  let presented = '';
  const current = new ParleySocket({
    url: window.location.origin,
    token: async () => {
      presented = await freshAccessToken(REAUTHENTICATE_BEFORE_S);
      return presented;
    },
    onChange: (conversationId, change) => {
      for (const listener of changeListeners) listener(conversationId, change as Change);
    },
    onReady: () => {
      setLive(true);
      void current.setPresence(document.hidden ? 'away' : 'online').catch(() => undefined);
    },
    onTyping: (conversationId, userIds) => {
      for (const listener of typingListeners) listener(conversationId, userIds);
    },
    onPresence: ({ userId, status }) => {
      for (const listener of presenceListeners) listener(userId, status);
    },
    onMembership: () => {
      for (const listener of membershipListeners) listener();
    },
    onEnded: ({ reason }) => {
      setLive(false);
      // Signed out elsewhere (the sessions page) or the organisation suspended: so is this tab.
      if (reason === 'revoked' || reason === 'tenant-suspended') saveSession(undefined);
      // An expired token: come back with a fresh one (the token callback rotates it).
      else setTimeout(() => socket === current && current.connect(), 1_000);
    },
  });
  current.socket.on('disconnect', () => setLive(false));
  socket = current;
  current.connect();
  // A tab in the background is away; the person is online while any of their tabs is visible.
  const visibility = () => {
    if (current.connected)
      void current.setPresence(document.hidden ? 'away' : 'online').catch(() => undefined);
  };
  document.addEventListener('visibilitychange', visibility);
  const timer = setInterval(() => {
    if (current.connected) freshAccessToken(REAUTHENTICATE_BEFORE_S).catch(() => undefined);
  }, TOKEN_CHECK_MS);
  const unsubscribe = onSessionChange(() => {
    const session = currentSession();
    if (!session) return stopLive();
    if (current.connected && session.accessToken !== presented) {
      presented = session.accessToken;
      current.reauthenticate(presented).catch(() => undefined);
    }
  });
  stopWatching = () => {
    document.removeEventListener('visibilitychange', visibility);
    clearInterval(timer);
    unsubscribe();
  };
}

export function stopLive(): void {
  stopWatching?.();
  stopWatching = undefined;
  socket?.close();
  socket = undefined;
  setLive(false);
}

/** The socket recovers this conversation from `lastSeq` (what the view shows) if it is behind. */
export function follow(conversationId: string, lastSeq: number): void {
  socket?.track(conversationId, lastSeq);
}

export function onLiveChange(listener: ChangeListener): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

export function onLiveStatus(listener: (live: boolean) => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/** Joined or left a conversation while connected. */
export function onMembershipChange(listener: () => void): () => void {
  membershipListeners.add(listener);
  return () => membershipListeners.delete(listener);
}

/** Tells the conversation this person types (or stopped); nothing while the socket is down. */
export function sendTyping(conversationId: string, typing: boolean): void {
  if (socket?.connected) void socket.typing(conversationId, typing).catch(() => undefined);
}

/** Who types in a conversation (the socket ends each indicator when told or when it expires). */
export function onTyping(listener: (conversationId: string, userIds: string[]) => void): () => void {
  typingListeners.add(listener);
  return () => typingListeners.delete(listener);
}

/** The members' presence now, asked over the socket (empty while it is down). */
export async function presenceOf(
  conversationId: string,
): Promise<{ userId: string; status: PresenceStatus }[]> {
  if (!socket?.connected) return [];
  return socket.presenceOf(conversationId).catch(() => []);
}

/** Someone who shares a conversation went online, away or offline. */
export function onPresence(listener: (userId: string, status: PresenceStatus) => void): () => void {
  presenceListeners.add(listener);
  return () => presenceListeners.delete(listener);
}
