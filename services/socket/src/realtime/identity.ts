/** Who a socket is, from its verified access token only (stored in `socket.data`). */
import type { AccessTokenClaims, ConversationKind } from '@parley/contracts';
import type { Socket } from 'socket.io';

export interface SocketIdentity {
  tenant: string;
  userId: string;
  sessionId: string;
  roles: string[];
  /** The token's expiry, epoch seconds: the socket ends then unless re-authenticated. */
  expiresAt: number;
}

export const identityOf = (claims: AccessTokenClaims): SocketIdentity => ({
  tenant: claims.tid,
  userId: claims.sub,
  sessionId: claims.sid,
  roles: claims.roles,
  expiresAt: claims.exp,
});

export interface SocketData {
  identity: SocketIdentity;
  expiryTimer?: NodeJS.Timeout;
  /** This device's presence (`presence.set`); online from the connect. */
  status?: 'online' | 'away';
  /** The kind of each conversation joined at connect (read receipts skip channels). */
  kinds?: Map<string, ConversationKind>;
}

// biome-ignore lint/suspicious/noExplicitAny: socket.io's event maps are per-app; ours are in contracts
export type ParleyServerSocket = Socket<any, any, any, SocketData>;
