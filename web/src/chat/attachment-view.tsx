/**
 * The files of a message: each one's name and size with a download link, and a preview for an
 * image. The bytes come through a signed link (`POST /api/v1/media/:id/links`), since an `<img>`
 * or a plain link cannot send the bearer token; a link lives a few minutes, so one about to expire
 * is replaced before it is followed. Records never change: read once per page load.
 */
import { useEffect, useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';
import type { MediaObject } from './upload.ts';

interface Link {
  url: string;
  expiresAt: number;
}

const records = new Map<string, Promise<MediaObject | undefined>>();
/** Within this much of its expiry, a link is fetched again before use. */
const LINK_MARGIN_MS = 30_000;

function recordOf(mediaId: string): Promise<MediaObject | undefined> {
  let record = records.get(mediaId);
  if (!record) {
    record = api.GET('/api/v1/media/{mediaId}', { params: { path: { mediaId } } }).then(({ data }) => data);
    records.set(mediaId, record);
    // A failure is not remembered: the next view asks again.
    void record.then((found) => found || records.delete(mediaId));
  }
  return record;
}

async function newLink(mediaId: string): Promise<Link> {
  const { data, error } = await api.POST('/api/v1/media/{mediaId}/links', { params: { path: { mediaId } } });
  if (!data) throw new Error(describeProblem(error, 'The file cannot be fetched.'));
  return { url: data.url, expiresAt: Date.parse(data.expiresAt) };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function AttachmentList(props: { mediaIds: readonly string[] }) {
  if (props.mediaIds.length === 0) return null;
  return (
    <ul class="attachments" aria-label="Attached files">
      {props.mediaIds.map((id) => (
        <AttachmentItem key={id} mediaId={id} />
      ))}
    </ul>
  );
}

function AttachmentItem(props: { mediaId: string }) {
  const [record, setRecord] = useState<MediaObject | undefined>();
  const [link, setLink] = useState<Link | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    let stale = false;
    (async () => {
      const found = await recordOf(props.mediaId);
      if (stale) return;
      if (!found) return setError('This file is no longer available.');
      setRecord(found);
      const fresh = await newLink(props.mediaId);
      if (!stale) setLink(fresh);
    })().catch((failure) => stale || setError(describeProblem(failure)));
    return () => {
      stale = true;
    };
  }, [props.mediaId]);

  if (error) return <li class="attachment unavailable">{error}</li>;
  if (!record || !link) return <li class="attachment">Loading file…</li>;
  const name = record.fileName ?? record.mediaId;
  // A link about to expire: a new one first, then the browser follows it.
  const follow = async (event: MouseEvent) => {
    if (link.expiresAt - Date.now() > LINK_MARGIN_MS) return;
    event.preventDefault();
    try {
      const fresh = await newLink(props.mediaId);
      setLink(fresh);
      window.location.assign(fresh.url);
    } catch (failure) {
      setError(describeProblem(failure));
    }
  };
  return (
    <li class="attachment">
      {record.contentType.startsWith('image/') && (
        <img class="preview" src={link.url} alt={name} loading="lazy" />
      )}
      <a href={link.url} download={name} onClick={follow}>
        {name}
      </a>{' '}
      <span class="size">
        ({formatSize(record.size)}, {record.contentType})
      </span>
    </li>
  );
}
