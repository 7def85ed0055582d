/**
 * Builds the gateway's parts from its settings and connections, in one place, so main.ts and the
 * tests assemble exactly the same gateway.
 */
import { join } from 'node:path';
import { type AuthClient, authJwksUrl, createAuthClient } from '@parley/auth-client';
import { AuditRecorder } from '@parley/compliance-client';
import { type Logger, type Worker, worker } from '@parley/kit';
import { MediaClient } from '@parley/media-client';
import { MessagingClient } from '@parley/messaging-client';
import { SearchClient } from '@parley/search-client';
import { ServiceHttp } from '@parley/service-http';
import type { Redis } from 'ioredis';
import { AuditJournal } from './domain/audit-journal.ts';
import { HostTenants } from './domain/host-tenants.ts';
import { RateLimiter } from './domain/rate-limiter.ts';
import { RequestAudit } from './domain/request-audit.ts';
import { TenantGate } from './domain/tenant-gate.ts';
import { parseTrustedProxies } from './domain/trusted-proxies.ts';
import type { RateLimitSettings } from './routes/rate-limits.ts';
import { type GatewayConfig, listSetting } from './settings.ts';
import { currentRequestId } from './upstream/request-ids.ts';

export interface GatewayComponents {
  /** Verifies access tokens locally: cached per-tenant keys, the pushed revocation set. */
  authClient: AuthClient;
  tenantGate: TenantGate;
  hostTenants: HostTenants;
  /** Browser origins allowed by CORS. */
  corsOrigins: string[];
  /** Proxies whose X-Forwarded-For names the client (addresses, CIDR ranges); none: the peer is. */
  trustedProxies: string[];
  upstreams: { auth: ServiceHttp; compliance: ServiceHttp; integrations: ServiceHttp };
  messaging: MessagingClient;
  search: SearchClient;
  /** The socket replicas that /socket.io/ upgrades are forwarded to. */
  socketReplicas: string[];
  /** The built web client's folder (undefined: web/dist/client of this checkout). */
  webClientDir?: string;
  /** Streams uploads and downloads; record calls through service-http. */
  media: MediaClient;
  /** Counted here, reconciled through Redis in the background (start/stop with the process). */
  rateLimiter: RateLimiter;
  rateLimits: RateLimitSettings;
  /** Audit records of mutating and refused requests: journalled, then delivered in batches. */
  audit: RequestAudit;
  /** Started by runService before the gateway listens, stopped after it drained, in this order. */
  workers: Worker[];
}

export type GatewayComponentSettings = Pick<
  GatewayConfig,
  | 'AUTH_URL'
  | 'COMPLIANCE_URL'
  | 'MESSAGING_URL'
  | 'SEARCH_URL'
  | 'SOCKET_URLS'
  | 'WEB_CLIENT_DIR'
  | 'MEDIA_URL'
  | 'INTEGRATIONS_URL'
  | 'AUTH_ISSUER'
  | 'AUTH_AUDIENCE'
  | 'CORS_ORIGINS'
  | 'TENANT_HOSTS'
  | 'TRUSTED_PROXIES'
  | 'UPSTREAM_TIMEOUT_MS'
  | 'TENANT_STATUS_CACHE_MS'
  | 'SERVICE_TOKEN'
  | 'RATE_LIMIT_WINDOW_SECONDS'
  | 'RATE_LIMIT_USER_REQUESTS'
  | 'RATE_LIMIT_ADDRESS_REQUESTS'
  | 'RATE_LIMIT_TENANT_REQUESTS_PER_MESSAGE'
  | 'RATE_LIMIT_SYNC_MS'
  | 'RATE_LIMIT_KEY_PREFIX'
  | 'AUDIT_DIR'
  | 'AUDIT_CHECKPOINT_MS'
>;

export function createGatewayComponents(options: {
  config: GatewayComponentSettings;
  redis: Redis;
  logger: Logger;
}): GatewayComponents {
  const { config, redis, logger } = options;
  const authClient = createAuthClient({
    jwks: authJwksUrl(config.AUTH_URL),
    redis,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    onError: (error) => logger.warn({ err: error }, 'auth-client background refresh failed'),
  });
  const rateLimiter = new RateLimiter({
    store: redis,
    syncIntervalMs: config.RATE_LIMIT_SYNC_MS,
    prefix: config.RATE_LIMIT_KEY_PREFIX,
    onSyncError: (error) => logger.warn({ err: error }, 'rate limit reconciliation failed'),
  });
  const audit = new RequestAudit({
    recorder: new AuditRecorder({
      http: { baseUrl: config.COMPLIANCE_URL, serviceToken: config.SERVICE_TOKEN },
      source: 'gateway',
      logger,
      spillPath: join(config.AUDIT_DIR, 'recorder-spill.ndjson'),
    }),
    journal: new AuditJournal(join(config.AUDIT_DIR, 'journal')),
    logger,
    checkpointMs: config.AUDIT_CHECKPOINT_MS,
  });
  // Proxied routes (sendRaw): two attempts at most for what may be repeated, so a client's
  // request is not held long behind a failing service.
  const upstream = (service: string, baseUrl: string) =>
    new ServiceHttp({
      service,
      baseUrl,
      serviceToken: config.SERVICE_TOKEN,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      attempts: 2,
      maxBackoffMs: 500,
      logger,
    });
  return {
    authClient,
    tenantGate: new TenantGate(redis, config.TENANT_STATUS_CACHE_MS),
    hostTenants: HostTenants.parse(config.TENANT_HOSTS),
    corsOrigins: listSetting(config.CORS_ORIGINS),
    trustedProxies: parseTrustedProxies(config.TRUSTED_PROXIES),
    upstreams: {
      auth: upstream('auth', config.AUTH_URL),
      compliance: upstream('compliance', config.COMPLIANCE_URL),
      integrations: upstream('integrations', config.INTEGRATIONS_URL),
    },
    messaging: new MessagingClient({
      baseUrl: config.MESSAGING_URL,
      serviceToken: config.SERVICE_TOKEN,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      requestId: () => currentRequestId.getStore(),
    }),
    search: new SearchClient({
      baseUrl: config.SEARCH_URL,
      serviceToken: config.SERVICE_TOKEN,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      requestId: () => currentRequestId.getStore(),
    }),
    socketReplicas: listSetting(config.SOCKET_URLS),
    ...(config.WEB_CLIENT_DIR ? { webClientDir: config.WEB_CLIENT_DIR } : {}),
    media: new MediaClient({
      baseUrl: config.MEDIA_URL,
      serviceToken: config.SERVICE_TOKEN,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      requestId: () => currentRequestId.getStore(),
    }),
    rateLimiter,
    audit,
    rateLimits: {
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      userRequests: config.RATE_LIMIT_USER_REQUESTS,
      addressRequests: config.RATE_LIMIT_ADDRESS_REQUESTS,
      tenantRequestsPerMessage: config.RATE_LIMIT_TENANT_REQUESTS_PER_MESSAGE,
    },
    // All started before the gateway listens (keys and revocations loaded, the journal replayed);
    // stopped in this order after the drain: the audit trail flushes first, keys go last.
    workers: [
      worker('request-audit', audit),
      worker('rate-limiter', rateLimiter),
      worker('auth-client', authClient),
    ],
  };
}
