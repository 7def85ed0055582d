/**
 * A tenant admin's incoming webhooks: a secret URL that posts into one conversation (a
 * Slack-compatible body, `{"text": "..."}`), as a bot made with it. The URL is shown once, when
 * it is made (it is the credential); the list names each webhook and its conversation, and
 * deleting one stops its URL at once.
 */
import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

type Hook =
  paths['/api/v1/integrations/incoming-webhooks']['get']['responses'][200]['content']['application/json']['webhooks'][number];

export function IncomingWebhooks() {
  const [hooks, setHooks] = useState<Hook[]>([]);
  const [name, setName] = useState('');
  const [conversationId, setConversationId] = useState('');
  const [shown, setShown] = useState<{ id: string; url: string } | undefined>();
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/integrations/incoming-webhooks');
    if (data) setHooks(data.webhooks);
    else setError(describeProblem(problem, 'The incoming webhooks could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    const { data, error: problem } = await api.POST('/api/v1/integrations/incoming-webhooks', {
      body: { name: name.trim(), conversationId: conversationId.trim() },
    });
    if (!data) return setError(describeProblem(problem, 'The incoming webhook could not be made.'));
    setError('');
    setName('');
    setConversationId('');
    setShown({ id: data.id, url: `${window.location.origin}${data.path}` });
    setStatus(`Incoming webhook ${data.name} is made. Its URL is shown below, once: it is the credential.`);
    await load();
  };

  const remove = async (hook: Hook) => {
    const { response, error: problem } = await api.DELETE(
      '/api/v1/integrations/incoming-webhooks/{webhookId}',
      {
        params: { path: { webhookId: hook.id } },
      },
    );
    if (response.status !== 204)
      return setError(describeProblem(problem, 'The incoming webhook could not be deleted.'));
    setError('');
    if (shown?.id === hook.id) setShown(undefined);
    setStatus(`Incoming webhook ${hook.name} is deleted: its URL stops working at once.`);
    await load();
  };

  return (
    <>
      <form class="card" onSubmit={create} aria-label="New incoming webhook">
        <label for="incoming-name">Incoming webhook name</label>
        <input
          id="incoming-name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="incoming-conversation">Posts into conversation (id)</label>
        <input
          id="incoming-conversation"
          required
          value={conversationId}
          onInput={(e) => setConversationId(e.currentTarget.value)}
        />
        <ErrorText id="incoming-error" text={error} />
        <button type="submit">Make incoming webhook</button>
      </form>
      <p role="status">{status}</p>
      {shown && (
        <p>
          <label for="incoming-url">Webhook URL (shown once)</label>{' '}
          <input id="incoming-url" class="scim-token" readOnly value={shown.url} />
        </p>
      )}
      {hooks.length === 0 ? (
        <p>No incoming webhooks yet.</p>
      ) : (
        <table class="incoming-webhooks">
          <caption class="visually-hidden">Incoming webhooks</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Conversation</th>
              <th scope="col">Made</th>
              <th scope="col">Delete</th>
            </tr>
          </thead>
          <tbody>
            {hooks.map((h) => (
              <tr key={h.id} data-incoming={h.id}>
                <td>
                  {h.name}
                  <div class="hint">
                    posts as <code>{h.botUserId}</code>
                  </div>
                </td>
                <td>
                  <code>{h.conversationId}</code>
                </td>
                <td>{new Date(h.createdAt).toLocaleString()}</td>
                <td>
                  <button
                    type="button"
                    aria-label={`Delete incoming webhook ${h.name}`}
                    onClick={() => void remove(h)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
