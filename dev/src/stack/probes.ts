// Small clients for readiness probes: each sends a real request, never just opens a port.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HttpOptions {
  /** PEM of the CA that signed the server's certificate. */
  ca?: string;
  /** Accept any certificate (kube-controller-manager serves a self-signed one). */
  insecure?: boolean;
  bearerToken?: string;
  timeoutMs?: number;
}

/** GET returning status and body; rejects on network errors. */
export function httpGet(url: string, options: HttpOptions = {}): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'GET',
        headers: options.bearerToken ? { authorization: `Bearer ${options.bearerToken}` } : {},
        ca: options.ca,
        rejectUnauthorized: !options.insecure,
        timeout: options.timeoutMs ?? 3000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 3000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Throws unless GET answers 2xx (and, if given, the body passes the check). */
export async function expectHttpOk(
  url: string,
  options: HttpOptions = {},
  bodyCheck?: (body: string) => boolean,
) {
  const { status, body } = await httpGet(url, options);
  if (status < 200 || status > 299) throw new Error(`GET ${url}: ${status} ${body.slice(0, 200)}`);
  if (bodyCheck && !bodyCheck(body)) throw new Error(`GET ${url}: unexpected body ${body.slice(0, 200)}`);
}

/** Sends Redis commands (RESP) on one connection and returns the raw replies. */
export function redisCommands(port: number, commands: string[][], timeoutMs = 3000): Promise<string> {
  const payload = commands
    .map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let replies = '';
    const timer = setTimeout(() => socket.destroy(new Error('redis: no reply')), timeoutMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (data) => {
      replies += data.toString('utf8');
      if (replies.split('\r\n').length > commands.length) {
        clearTimeout(timer);
        socket.end();
        resolve(replies);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Retries probe until it passes, the process exits, or the time is up. */
export async function waitUntilReady(
  name: string,
  probe: () => Promise<void>,
  timeoutMs: number,
  exited?: Promise<number>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let exitCode: number | undefined;
  exited?.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${name} exited with code ${exitCode} before it was ready`);
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    await sleep(300);
  }
  throw new Error(
    `${name} not ready after ${timeoutMs / 1000}s: ${String((lastError as Error)?.message ?? lastError)}`,
  );
}
