/**
 * HTTP requests per second against a server on loopback, with autocannon. Both sides of a
 * comparison run in this process with the same connections and pipelining, so whatever the load
 * generator costs, it costs both alike and the ratio stays fair.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  durationMs: number;
  connections?: number;
  headers?: Record<string, string>;
}

export async function requestsPerSecond({
  url,
  durationMs,
  connections = 10,
  headers,
}: LoadOptions): Promise<number> {
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    duration: durationMs / 1000,
    ...(headers ? { headers } : {}),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
  return result.requests.average;
}
