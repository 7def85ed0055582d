/**
 * The socket service's object graph, in one place, so main.ts and the tests assemble exactly the
 * same replica.
 */

import { hostname } from 'node:os';
import { type AuthClient, createAuthClient } from '@parley/auth-client';
import { type Logger, TenantGate, type Worker } from '@parley/kit';
import { MessagingClient } from '@parley/messaging-client';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { identityOf, type SocketIdentity } from './realtime/identity.ts';
import { HandshakeRefused } from './realtime/socket-server.ts';
import type { SocketSettings } from './settings.ts';

export interface SocketComponents {
  logger: Logger;
  authClient: AuthClient;
  tenantGate: TenantGate;
  messaging: MessagingClient;
  replicaId: string;
  settings: SocketComponentSettings;
  kafka: Kafka;
  redis: Redis;
  /** Verifies a token locally and checks its tenant may be served (Ready). */
  authenticate(token: string): Promise<SocketIdentity>;
  workers: Worker[];
}

export type SocketComponentSettings = Pick<
  SocketSettings,
  | 'AUTH_URL'
  | 'MESSAGING_URL'
  | 'AUTH_ISSUER'
  | 'AUTH_AUDIENCE'
  | 'SERVICE_TOKEN'
  | 'REPLICA_ID'
  | 'PORT'
  | 'MAX_PAYLOAD_BYTES'
  | 'CLIENT_EVENTS_PER_SECOND'
  | 'TOPIC_REFRESH_MS'
  | 'UPSTREAM_TIMEOUT_MS'
  | 'PRESENCE_TTL_MS'
  | 'PRESENCE_GRACE_MS'
  | 'PRESENCE_BATCH_MS'
>;

export function createSocketComponents(options: {
  settings: SocketComponentSettings;
  redis: Redis;
  kafka: Kafka;
  logger: Logger;
  /** Tests: an in-process key source instead of the auth service's JWKS URL. */
  jwks?: Parameters<typeof createAuthClient>[0]['jwks'];
  tenantStatusCacheMs?: number;
}): SocketComponents {
  const { settings, redis, logger } = options;
  const authClient = createAuthClient({
    jwks: options.jwks ?? `${settings.AUTH_URL.replace(/\/+$/, '')}/tenants/{tenant}/.well-known/jwks.json`,
    redis,
    issuer: settings.AUTH_ISSUER,
    audience: settings.AUTH_AUDIENCE,
    onError: (error) => logger.warn({ err: error }, 'auth-client background refresh failed'),
  });
  const tenantGate = new TenantGate(redis, { cacheMs: options.tenantStatusCacheMs ?? 3_000 });
  return {
    logger,
    authClient,
    tenantGate,
    messaging: new MessagingClient({
      baseUrl: settings.MESSAGING_URL,
      serviceToken: settings.SERVICE_TOKEN,
      timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
    }),
    replicaId: settings.REPLICA_ID || `${hostname()}-${settings.PORT}`,
    settings,
    kafka: options.kafka,
    redis,
    async authenticate(token) {
      let identity: SocketIdentity;
      try {
        identity = identityOf(await authClient.verifier.verify(token));
      } catch {
        throw new HandshakeRefused('invalid-token');
      }
      try {
        await tenantGate.assertServed(identity.tenant);
      } catch {
        throw new HandshakeRefused('tenant-not-served');
      }
      return identity;
    },
    workers: [],
  };
}
