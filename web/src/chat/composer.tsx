/**
 * The message box of a conversation, with files: each chosen file uploads at once with its
 * progress shown (and can be removed), and the send carries the finished ones as attachments.
 * Send waits while a file is still on its way. A file whose upload failed (a refusal, a dropped
 * connection) keeps its place with the reason and a Retry, which uploads the same file again. A
 * message of files alone says their names (the API needs some text).
 */
import { useRef, useState } from 'preact/hooks';
import { formatSize } from './attachment-view.tsx';
import { type MediaObject, type Upload, uploadFile } from './upload.ts';

interface FileDraft {
  key: string;
  name: string;
  /** The chosen file, kept for a retry. */
  file: File;
  progress: number;
  cancel: () => void;
  media?: MediaObject;
  error?: string;
}

/** The server's indicator lasts a few seconds: while typing goes on, say so again this often. */
const TYPING_REPEAT_MS = 2_000;
/** The API takes at most this many attachments on a message. */
const MAX_FILES = 10;

export function Composer(props: {
  conversationId: string;
  title: string;
  onSend: (text: string, mediaIds: string[]) => void;
  /** Typing started (repeated at most every few seconds while it goes on) or stopped. */
  onTyping?: (typing: boolean) => void;
}) {
  const lastTyping = useRef(0);
  const typed = (value: string) => {
    setDraft(value);
    const now = Date.now();
    if (!value) {
      lastTyping.current = 0;
      props.onTyping?.(false);
    } else if (now - lastTyping.current > TYPING_REPEAT_MS) {
      lastTyping.current = now;
      props.onTyping?.(true);
    }
  };
  const [draft, setDraft] = useState('');
  const [files, setFiles] = useState<FileDraft[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  const uploading = files.some((f) => !f.media && !f.error);
  const ready = files.filter((f) => f.media);

  const change = (key: string, patch: Partial<FileDraft>) =>
    setFiles((all) => all.map((f) => (f.key === key ? { ...f, ...patch } : f)));

  // One upload at a time, in the order chosen: each file's progress is its own, and a large
  // file does not slow the others' bandwidth into a crawl.
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  /** Queues the upload of a draft's file; its progress, result or failure land on the draft. */
  const enqueue = (key: string, file: File): (() => void) => {
    let cancelled = false;
    let upload: Upload | undefined;
    queue.current = queue.current.then(async () => {
      if (cancelled) return;
      upload = uploadFile(props.conversationId, file, (progress) => change(key, { progress }));
      await upload.done.then(
        (media) => change(key, { media, progress: 1 }),
        (failure: Error) => change(key, { error: failure.message }),
      );
    });
    return () => {
      cancelled = true;
      upload?.cancel();
    };
  };
  const choose = (list: FileList | null) => {
    for (const file of Array.from(list ?? []).slice(0, MAX_FILES - files.length)) {
      const key = crypto.randomUUID();
      setFiles((all) => [...all, { key, name: file.name, file, progress: 0, cancel: () => undefined }]);
      change(key, { cancel: enqueue(key, file) });
    }
    if (picker.current) picker.current.value = '';
  };
  /** The same file again, in the same place: the failure is cleared, progress starts over. */
  const retry = (draft: FileDraft) => {
    const { key, file } = draft;
    setFiles((all) =>
      all.map((f) => {
        if (f.key !== key) return f;
        const { error: _error, ...rest } = f;
        return { ...rest, progress: 0 };
      }),
    );
    change(key, { cancel: enqueue(key, file) });
  };

  const remove = (file: FileDraft) => {
    if (!file.media && !file.error) file.cancel();
    setFiles((all) => all.filter((f) => f.key !== file.key));
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (uploading) return;
    const text = draft.trim() || ready.map((f) => f.media?.fileName ?? f.name).join(', ');
    if (!text) return;
    props.onSend(
      text,
      ready.map((f) => f.media?.mediaId as string),
    );
    setDraft('');
    setFiles([]);
    lastTyping.current = 0;
    props.onTyping?.(false);
  };

  return (
    <form class="composer" onSubmit={submit}>
      <label for="composer" class="visually-hidden">
        Message {props.title}
      </label>
      <textarea
        id="composer"
        rows={2}
        maxLength={10000}
        value={draft}
        placeholder={`Message ${props.title}`}
        onInput={(e) => typed(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) submit(e);
        }}
      />
      <input
        id="composer-files"
        ref={picker}
        type="file"
        multiple
        class="visually-hidden"
        disabled={files.length >= MAX_FILES}
        onChange={(e) => choose(e.currentTarget.files)}
      />
      <label class="attach button" for="composer-files">
        Attach files
      </label>
      <button type="submit" disabled={uploading}>
        {uploading ? 'Uploading…' : 'Send'}
      </button>
      {files.length > 0 && (
        <ul class="drafts" aria-label="Files to send">
          {files.map((f) => (
            <li key={f.key} class={f.error ? 'failed' : ''}>
              <span>{f.name}</span>{' '}
              {f.error ? (
                <>
                  <span role="alert">{f.error}</span>{' '}
                  <button type="button" class="link" onClick={() => retry(f)} aria-label={`Retry ${f.name}`}>
                    Retry
                  </button>
                </>
              ) : f.media ? (
                <span>{formatSize(f.media.size)}, ready</span>
              ) : (
                <progress max={1} value={f.progress} aria-label={`Uploading ${f.name}`} />
              )}{' '}
              <button type="button" class="link" onClick={() => remove(f)} aria-label={`Remove ${f.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
