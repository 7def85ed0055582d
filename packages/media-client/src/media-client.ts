/**
 * The typed client of the media service, for the gateway: on behalf of a verified user, as
 * messaging-client is. The record calls (describe, delete) go through @parley/service-http
 * (credential, request id, retries, breaker, typed problems). Uploads and downloads are streams,
 * which that JSON transport does not carry: they are one fetch each with the same credential and
 * headers, never retried (a body stream cannot be replayed), and their failures are the same
 * ServiceProblemError / ServiceUnavailableError.
 *
 *   const media = new MediaClient({ baseUrl, serviceToken });
 *   const record = await media.as(user).upload(conversationId, request.raw, { contentType, contentLength, name });
 *   const { status, headers, body } = await media.as(user).download(mediaId, { range });
 */
import type { Readable } from 'node:stream';
import {
  ACTING_ROLES_HEADER,
  ACTING_USER_HEADER,
  type AttachmentNames,
  type AttachmentNamesBody,
  type BindAttachmentsBody,
  type BoundAttachments,
  type MediaObject,
} from '@parley/contracts';
import { ServiceHttp, ServiceProblemError, ServiceUnavailableError } from '@parley/service-http';

export const MEDIA_SERVICE = 'media';

export type { MediaObject };

export interface ActingUser {
  tenant: string;
  userId: string;
  roles: readonly string[];
}

export interface MediaClientOptions {
  baseUrl: string;
  serviceToken: string;
  /** Per attempt for the record calls; default 5 s. Streams have no overall timeout. */
  timeoutMs?: number;
  requestId?: () => string | undefined;
}

export interface UploadOptions {
  contentType?: string | undefined;
  contentLength?: number | undefined;
  name?: string | undefined;
  signal?: AbortSignal;
}

export interface MediaLink {
  /** `v1.<claims>.<mac>`: for the caller only, short-lived (media's MEDIA_LINK_TTL_S). */
  token: string;
  expiresAt: string;
}

export interface DownloadResponse {
  status: 200 | 206;
  /** content-type, content-length, content-range, etag, content-disposition, accept-ranges. */
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array>;
}

const PASSED_ON = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'content-disposition',
  'x-content-type-options',
  'x-parley-sha256',
];
const enc = encodeURIComponent;

export class MediaClient {
  readonly http: ServiceHttp;
  readonly #options: MediaClientOptions;
  readonly #baseUrl: string;

  constructor(options: MediaClientOptions) {
    this.#options = options;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.http = new ServiceHttp({
      service: MEDIA_SERVICE,
      baseUrl: this.#baseUrl,
      serviceToken: options.serviceToken,
      timeoutMs: options.timeoutMs ?? 5_000,
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  }

  /**
   * For messaging, before it writes a send: binds the uploads to the message, or throws the 422
   * `attachment-not-allowed` problem (nothing bound). Idempotent for the same message, so retried.
   */
  async bindAttachments(tenant: string, body: BindAttachmentsBody): Promise<BoundAttachments> {
    return this.http.request<BoundAttachments>('POST', `/v1/tenants/${enc(tenant)}/attachments`, body, {
      idempotent: true,
    });
  }

  /** For search: the display names of the files bound to one message (a read, so retried). */
  async attachmentNames(tenant: string, body: AttachmentNamesBody): Promise<AttachmentNames> {
    return this.http.request<AttachmentNames>('POST', `/v1/tenants/${enc(tenant)}/attachments/names`, body, {
      idempotent: true,
    });
  }

  /**
   * A download through a signed link (a browser's plain URL): no acting user, the link names one,
   * and media asks again whether that user is still a member.
   */
  async downloadLinked(
    tenant: string,
    mediaId: string,
    token: string,
    options: { range?: string; signal?: AbortSignal } = {},
  ): Promise<DownloadResponse> {
    const headers: Record<string, string> = { 'x-service-token': this.#options.serviceToken };
    const requestId = this.#options.requestId?.();
    if (requestId) headers['x-request-id'] = requestId;
    if (options.range) headers.range = options.range;
    const response = await this.stream(
      'GET',
      `/v1/tenants/${enc(tenant)}/media/${enc(mediaId)}/linked-content?token=${enc(token)}`,
      { headers, signal: options.signal },
    );
    return downloadOf(response);
  }

  as(user: ActingUser): MediaCalls {
    return new MediaCalls(this, user);
  }

  /** @internal the acting user's headers (the transport adds the credential to record calls). */
  actingHeaders(user: ActingUser): Record<string, string> {
    return { [ACTING_USER_HEADER]: user.userId, [ACTING_ROLES_HEADER]: user.roles.join(',') };
  }

  /** @internal the headers a streamed call carries: credential, acting user, request id. */
  headersFor(user: ActingUser): Record<string, string> {
    const headers: Record<string, string> = {
      'x-service-token': this.#options.serviceToken,
      [ACTING_USER_HEADER]: user.userId,
      [ACTING_ROLES_HEADER]: user.roles.join(','),
    };
    const requestId = this.#options.requestId?.();
    if (requestId) headers['x-request-id'] = requestId;
    return headers;
  }

  /** @internal one streamed call: the answer, or the problem it carried. */
  async stream(
    method: 'GET' | 'POST',
    path: string,
    init: { headers: Record<string, string>; body?: Readable; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: init.headers,
        redirect: 'manual',
        ...(init.body ? { body: init.body as unknown as ReadableStream, duplex: 'half' } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      } as RequestInit);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ServiceUnavailableError({
        service: MEDIA_SERVICE,
        reason: 'unreachable',
        detail: 'the media service cannot be reached',
        method,
        path,
        cause: error,
      });
    }
    if (response.ok) return response;
    const text = await response.text();
    let problem: Record<string, unknown> | undefined;
    try {
      problem = JSON.parse(text) as Record<string, unknown>;
    } catch {
      problem = undefined;
    }
    throw new ServiceProblemError({
      service: MEDIA_SERVICE,
      status: response.status,
      ...(typeof problem?.type === 'string' ? { type: problem.type } : {}),
      ...(typeof problem?.title === 'string' ? { title: problem.title } : {}),
      ...(typeof problem?.detail === 'string' ? { detail: problem.detail } : {}),
      ...(problem ? { problem } : {}),
      method,
      path,
    });
  }
}

export class MediaCalls {
  readonly #client: MediaClient;
  readonly #user: ActingUser;

  constructor(client: MediaClient, user: ActingUser) {
    this.#client = client;
    this.#user = user;
  }

  #base(): string {
    return `/v1/tenants/${enc(this.#user.tenant)}`;
  }

  async upload(conversationId: string, body: Readable, options: UploadOptions = {}): Promise<MediaObject> {
    const headers: Record<string, string> = {
      ...this.#client.headersFor(this.#user),
      'content-type': options.contentType ?? 'application/octet-stream',
    };
    if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    const query = options.name ? `?name=${enc(options.name)}` : '';
    const response = await this.#client.stream(
      'POST',
      `${this.#base()}/conversations/${enc(conversationId)}/media${query}`,
      {
        headers,
        body,
        signal: options.signal,
      },
    );
    return (await response.json()) as MediaObject;
  }

  async describe(mediaId: string): Promise<MediaObject> {
    return this.#client.http.request<MediaObject>('GET', `${this.#base()}/media/${enc(mediaId)}`, undefined, {
      headers: this.#client.actingHeaders(this.#user),
    });
  }

  async download(
    mediaId: string,
    options: { range?: string; signal?: AbortSignal } = {},
  ): Promise<DownloadResponse> {
    const headers = this.#client.headersFor(this.#user);
    if (options.range) headers.range = options.range;
    const response = await this.#client.stream('GET', `${this.#base()}/media/${enc(mediaId)}/content`, {
      headers,
      signal: options.signal,
    });
    return downloadOf(response);
  }

  /** A signed download link for this user (a member of the file's conversation). */
  async createLink(mediaId: string): Promise<MediaLink> {
    return this.#client.http.request<MediaLink>(
      'POST',
      `${this.#base()}/media/${enc(mediaId)}/links`,
      undefined,
      { headers: this.#client.actingHeaders(this.#user) },
    );
  }

  async delete(mediaId: string): Promise<void> {
    await this.#client.http.send({
      method: 'DELETE',
      path: `${this.#base()}/media/${enc(mediaId)}`,
      headers: this.#client.actingHeaders(this.#user),
    });
  }
}

function downloadOf(response: Response): DownloadResponse {
  const passed: Record<string, string> = {};
  for (const name of PASSED_ON) {
    const value = response.headers.get(name);
    if (value !== null) passed[name] = value;
  }
  if (!response.body)
    throw new ServiceProblemError({ service: MEDIA_SERVICE, status: 502, detail: 'an empty download' });
  return { status: response.status === 206 ? 206 : 200, headers: passed, body: response.body };
}
