/** One of the person's own messages on its way (optimistic): sending, or not sent with Retry. */
import type { PendingMessage } from './timeline.ts';

export function PendingItem(props: { pending: PendingMessage; onRetry: () => void }) {
  const p = props.pending;
  return (
    <li class="message mine pending" data-status={p.status}>
      <span class="sender">You</span>
      <p class="text">{p.text}</p>
      {p.status === 'sending' ? (
        <span class="status">Sending…</span>
      ) : (
        <span class="status failed">
          Not sent.{' '}
          <button type="button" class="link" onClick={props.onRetry}>
            Retry
          </button>
        </span>
      )}
    </li>
  );
}
