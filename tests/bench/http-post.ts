/**
 * One JSON POST over node:http with a keep-alive agent, resolving with the status once the answer
 * is read. The load generator shares the process with the server it measures, and fetch (undici's
 * WHATWG streams) costs several times more CPU per request than node:http.
 */
import { type Agent, request as httpRequest } from 'node:http';

export function postJson(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
