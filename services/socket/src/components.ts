/**
 * The socket service's object graph, built once from its settings and connections: used by
 * main.ts and by the test fixture (testing/socket-fixture.ts) alike. The workers (delivery,
 * presence, session enders) need the socket.io server on the app's HTTP server, so buildApp
 * makes them and hands them back with the replica.
 */

import { hostname } from 'node:os';
import { type AuthClient, authJwksUrl, createAuthClient } from '@parley/auth-client';
import { CryptoClient, EnvelopeEncryptor } from '@parley/crypto-client';
import {
  type KafkaConnection,
  type Logger,
  type ReadinessCheck,
  type RedisConnection,
  TenantGate,
  type Worker,
} from '@parley/kit';
import { MessagingClient } from '@parley/messaging-client';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { identityOf, type SocketIdentity } from './realtime/identity.ts';
import type { RedisAdapter } from './realtime/redis-adapter.ts';
import { HandshakeRefused } from './realtime/socket-server.ts';
import type { SocketSettings } from './settings.ts';

export interface SocketComponents {
  logger: Logger;
  authClient: AuthClient;
  tenantGate: TenantGate;
  messaging: MessagingClient;
  /**
   * Opens the sealed bodies the messages topic carries (README "Payloads"): data keys unwrapped by
   * the crypto service, which lets this credential do that and nothing else; never seals.
   */
  bodies: EnvelopeEncryptor;
  replicaId: string;
  settings: SocketComponentSettings;
  kafka: Kafka;
  redis: Redis;
  /** Verifies a token locally and checks its tenant may be served (Ready). */
  authenticate(token: string): Promise<SocketIdentity>;
  /** socket.io's adapter factory: how the replicas reach each other's sockets. */
  adapter: RedisAdapter['factory'];
  readiness: Record<string, ReadinessCheck>;
  /** How long a draining replica spreads its clients' disconnects over. */
  drainSpreadMs: number;
  /** How often live sessions are checked against token revocation and the tenant's status. */
  tenantCheckIntervalMs: number;
  workers: Worker[];
}

export interface SocketClients {
  logger: Logger;
  redis: RedisConnection;
  kafka: KafkaConnection;
  adapter: RedisAdapter;
  /** Tests: an in-process key source instead of the auth service's JWKS URL. */
  jwks?: Parameters<typeof createAuthClient>[0]['jwks'];
  tenantStatusCacheMs?: number;
  drainSpreadMs?: number;
  tenantCheckIntervalMs?: number;
}

export type SocketComponentSettings = Pick<
  SocketSettings,
  | 'AUTH_URL'
  | 'MESSAGING_URL'
  | 'CRYPTO_URL'
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

export function createComponents(
  settings: SocketComponentSettings,
  clients: SocketClients,
): SocketComponents {
  const { logger } = clients;
  const redis = clients.redis.client;
  const authClient = createAuthClient({
    jwks: clients.jwks ?? authJwksUrl(settings.AUTH_URL),
    redis,
    issuer: settings.AUTH_ISSUER,
    audience: settings.AUTH_AUDIENCE,
    onError: (error) => logger.warn({ err: error }, 'auth-client background refresh failed'),
  });
  const tenantGate = new TenantGate(redis, { cacheMs: clients.tenantStatusCacheMs ?? 3_000 });
  return {
    logger,
    authClient,
    tenantGate,
    messaging: new MessagingClient({
      baseUrl: settings.MESSAGING_URL,
      serviceToken: settings.SERVICE_TOKEN,
      timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
    }),
    bodies: new EnvelopeEncryptor({
      source: (() => {
        const crypto = new CryptoClient({
          baseUrl: settings.CRYPTO_URL,
          serviceToken: settings.SERVICE_TOKEN,
          timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
        });
        return {
          generateDataKey: () => Promise.reject(new Error('the socket service seals nothing')),
          decryptDataKey: (tenant, purpose, wrapped) => crypto.decryptDataKey(tenant, purpose, wrapped),
        };
      })(),
    }),
    replicaId: settings.REPLICA_ID || `${hostname()}-${settings.PORT}`,
    settings,
    kafka: clients.kafka.kafka,
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
    adapter: clients.adapter.factory,
    readiness: { redis: clients.redis.ping, kafka: clients.kafka.ping },
    drainSpreadMs: clients.drainSpreadMs ?? 2_000,
    tenantCheckIntervalMs: clients.tenantCheckIntervalMs ?? 2_000,
    workers: [],
  };
}
