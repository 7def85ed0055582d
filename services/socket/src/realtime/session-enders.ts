/**
 * What ends sockets from the outside, on every replica at once (each replica listens itself):
 * - a revoked session (auth's revocation channel, pushed to auth-client within milliseconds);
 * - a tenant no longer served (suspended, deleted): checked every `intervalMs` for the tenants
 *   this replica holds sockets of; new handshakes of such a tenant are refused at once.
 */
import type { AuthClient } from '@parley/auth-client';
import type { Logger, TenantGate, Worker } from '@parley/kit';
import { sessionRoom, tenantRoom } from './rooms.ts';
import { endSockets, type ParleyIo } from './socket-server.ts';

export class SessionEnders implements Worker {
  readonly name = 'session-enders';
  readonly #io: ParleyIo;
  readonly #auth: AuthClient;
  readonly #gate: TenantGate;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: {
    io: ParleyIo;
    auth: AuthClient;
    gate: TenantGate;
    logger: Logger;
    intervalMs: number;
  }) {
    this.#io = options.io;
    this.#auth = options.auth;
    this.#gate = options.gate;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#auth.revocations.onRevoked(({ tenant, sessionId }) =>
      endSockets(this.#io, sessionRoom(tenant, sessionId), 'revoked'),
    );
    this.#timer = setInterval(() => void this.#checkTenants(), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    clearInterval(this.#timer);
  }

  async #checkTenants(): Promise<void> {
    const tenants = new Set<string>();
    for (const socket of this.#io.of('/').sockets.values()) tenants.add(socket.data.identity.tenant);
    for (const tenant of tenants) {
      try {
        await this.#gate.assertServed(tenant);
      } catch {
        this.#logger.info({ tenant }, 'tenant no longer served: ending its sockets');
        endSockets(this.#io, tenantRoom(tenant), 'tenant-suspended');
      }
    }
  }
}
