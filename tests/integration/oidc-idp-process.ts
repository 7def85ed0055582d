/**
 * Starts oidc-idp.ts as its own process on a free port, and plays the browser's part of a sign-in
 * there: follows the authorization URL through the provider's redirects (keeping its cookies, as a
 * browser does), signs in as an account at the login step, and stops at the redirect back to the
 * client, returning what the provider appended (code, state, iss).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@parley/kit/testing';

export interface IdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface IdpAccount {
  email: string;
  email_verified: boolean;
  name?: string;
  groups?: string[];
}

export interface IdpProcess {
  issuer: string;
  /** Replaces an account's claims at the provider (e.g. its groups). */
  setAccount(id: string, account: IdpAccount): Promise<void>;
  /** Signs in at the provider as `account` for this authorization URL; the redirect's parameters. */
  signIn(authorizationUrl: string, account: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startIdp(
  clients: IdpClient[],
  accounts: Record<string, IdpAccount>,
): Promise<IdpProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'oidc-idp.ts')], {
    env: {
      ...process.env,
      IDP_PORT: String(port),
      IDP_CLIENTS: JSON.stringify(clients),
      IDP_ACCOUNTS: JSON.stringify(accounts),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the OpenID provider did not start:\n${output}`)),
      30_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the OpenID provider exited with ${code}:\n${output}`));
    });
  });
  const issuer = await ready;

  return {
    issuer,
    async setAccount(id, account) {
      const response = await fetch(`${issuer}/test/accounts/${encodeURIComponent(id)}`, {
        method: 'PUT',
        body: JSON.stringify(account),
      });
      if (response.status !== 204) throw new Error(`the provider answered ${response.status}`);
    },
    async signIn(authorizationUrl, account) {
      const cookies = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop += 1) {
        if (url.origin !== issuer) {
          // Back at the client: what the provider sent the browser back with.
          return Object.fromEntries(url.searchParams);
        }
        if (url.pathname.startsWith('/interaction/')) url.searchParams.set('login', account);
        const response = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const at = pair?.indexOf('=') ?? -1;
          if (pair && at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
        }
        const location = response.headers.get('location');
        if (!location) throw new Error(`the provider answered ${response.status}: ${await response.text()}`);
        url = new URL(location, url);
      }
      throw new Error('too many redirects at the provider');
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
