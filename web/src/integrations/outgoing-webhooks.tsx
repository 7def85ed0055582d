/**
 * A tenant admin's outgoing webhooks: make an endpoint (URL, events, optionally some
 * conversations) whose Standard Webhooks signing secret is shown once, list and delete endpoints,
 * read an endpoint's delivery log (status, attempts, next attempt) and replay a delivery (the same
 * webhook-id, a fresh round of attempts). The API has no change of an endpoint: delete and make
 * it again.
 */
import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

type Endpoint =
  paths['/api/v1/integrations/outgoing-webhooks']['get']['responses'][200]['content']['application/json']['endpoints'][number];
type Delivery =
  paths['/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries']['get']['responses'][200]['content']['application/json']['deliveries'][number];
type EventType = Endpoint['eventTypes'][number];

const EVENT_TYPES: EventType[] = [
  'message.created',
  'message.edited',
  'message.deleted',
  'member.joined',
  'member.removed',
  'member.role-changed',
];

export function OutgoingWebhooks() {
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>(['message.created']);
  const [conversations, setConversations] = useState('');
  const [secret, setSecret] = useState<{ id: string; secret: string } | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/integrations/outgoing-webhooks');
    if (data) setEndpoints(data.endpoints);
    else setError(describeProblem(problem, 'The webhooks could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    if (events.length === 0) return setError('Choose at least one event.');
    const conversationIds = conversations
      .split(/[\s,]+/)
      .map((c) => c.trim())
      .filter(Boolean);
    const { data, error: problem } = await api.POST('/api/v1/integrations/outgoing-webhooks', {
      body: {
        url: url.trim(),
        eventTypes: events,
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(conversationIds.length > 0 ? { conversationIds } : {}),
      },
    });
    if (!data) return setError(describeProblem(problem, 'The webhook could not be made.'));
    setError('');
    setUrl('');
    setDescription('');
    setConversations('');
    setSecret({ id: data.id, secret: data.secret });
    setStatus(`Webhook to ${data.url} is made. Its signing secret is shown below, once: copy it now.`);
    await load();
  };

  const remove = async (endpoint: Endpoint) => {
    const { response, error: problem } = await api.DELETE(
      '/api/v1/integrations/outgoing-webhooks/{endpointId}',
      {
        params: { path: { endpointId: endpoint.id } },
      },
    );
    if (response.status !== 204)
      return setError(describeProblem(problem, 'The webhook could not be deleted.'));
    setError('');
    if (secret?.id === endpoint.id) setSecret(undefined);
    if (open === endpoint.id) setOpen(undefined);
    setStatus(`Webhook to ${endpoint.url} is deleted: nothing more is sent to it.`);
    await load();
  };

  const toggle = (type: EventType, on: boolean) =>
    setEvents((all) => (on ? [...all.filter((t) => t !== type), type] : all.filter((t) => t !== type)));

  return (
    <>
      <form class="card" onSubmit={create} aria-label="New outgoing webhook">
        <label for="webhook-url">Endpoint URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          placeholder="https://example.com/parley"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <label for="webhook-description">Description (optional)</label>
        <input
          id="webhook-description"
          maxLength={500}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <fieldset>
          <legend>Events</legend>
          {EVENT_TYPES.map((type) => (
            <span key={type} class="choice">
              <input
                id={`webhook-event-${type}`}
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => toggle(type, e.currentTarget.checked)}
              />{' '}
              <label for={`webhook-event-${type}`} class="inline">
                {type}
              </label>
            </span>
          ))}
        </fieldset>
        <label for="webhook-conversations">Only these conversation ids (optional; all when empty)</label>
        <input
          id="webhook-conversations"
          value={conversations}
          onInput={(e) => setConversations(e.currentTarget.value)}
        />
        <ErrorText id="webhook-error" text={error} />
        <button type="submit">Make webhook</button>
      </form>
      <p role="status">{status}</p>
      {secret && (
        <p>
          <label for="webhook-secret">Signing secret (shown once)</label>{' '}
          <input id="webhook-secret" class="scim-token" readOnly value={secret.secret} />
        </p>
      )}
      {endpoints.length === 0 ? (
        <p>No outgoing webhooks yet.</p>
      ) : (
        <table class="webhooks">
          <caption class="visually-hidden">Outgoing webhooks</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Made</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr key={e.id} data-endpoint={e.id}>
                <td>
                  <code>{e.url}</code>
                  {e.description ? <div class="hint">{e.description}</div> : null}
                  {e.conversationIds ? <div class="hint">Only {e.conversationIds.join(', ')}</div> : null}
                </td>
                <td>{e.eventTypes.join(', ')}</td>
                <td>{new Date(e.createdAt).toLocaleString()}</td>
                <td>
                  <button
                    type="button"
                    aria-expanded={open === e.id}
                    aria-label={`Deliveries to ${e.url}`}
                    onClick={() => setOpen(open === e.id ? undefined : e.id)}
                  >
                    Deliveries
                  </button>{' '}
                  <button
                    type="button"
                    aria-label={`Delete webhook to ${e.url}`}
                    onClick={() => void remove(e)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <DeliveryLog key={open} endpoint={endpoints.find((e) => e.id === open)} />}
    </>
  );
}

function attemptText(d: Delivery): string {
  const last = d.attempts[d.attempts.length - 1];
  if (!last) return 'not tried yet';
  const outcome = last.statusCode !== undefined ? `HTTP ${last.statusCode}` : (last.error ?? 'no answer');
  return `${outcome} (${last.durationMs} ms) at ${new Date(last.at).toLocaleString()}`;
}

/** One endpoint's deliveries, newest first, read again every 3 s while open. */
function DeliveryLog(props: { endpoint: Endpoint | undefined }) {
  const endpoint = props.endpoint;
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const load = async () => {
    if (!endpoint) return;
    const { data, error: problem } = await api.GET(
      '/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries',
      { params: { path: { endpointId: endpoint.id }, query: { limit: 50 } } },
    );
    if (data) {
      setDeliveries(data.deliveries);
      setError('');
    } else setError(describeProblem(problem, 'The delivery log could not be read.'));
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 3_000);
    return () => clearInterval(timer);
  }, [endpoint?.id]);

  if (!endpoint) return null;
  const replay = async (d: Delivery) => {
    const { data, error: problem } = await api.POST(
      '/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries/{deliveryId}/replay',
      { params: { path: { endpointId: endpoint.id, deliveryId: d.id } } },
    );
    if (!data) return setError(describeProblem(problem, 'The delivery could not be replayed.'));
    setStatus(`Delivery ${d.eventId} is sent again (${d.eventType}).`);
    await load();
  };

  return (
    <section aria-labelledby="deliveries-title" class="card">
      <h3 id="deliveries-title">Deliveries to {endpoint.url}</h3>
      <ErrorText id="deliveries-error" text={error} />
      <p role="status">{status}</p>
      {deliveries.length === 0 ? (
        <p>No deliveries yet.</p>
      ) : (
        <table class="deliveries">
          <caption class="visually-hidden">Deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Replay</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-delivery={d.id}>
                <td>
                  {d.eventType}
                  <div class="hint">
                    <code>{d.eventId}</code>, {new Date(d.createdAt).toLocaleString()}
                  </div>
                </td>
                <td class="delivery-status">{d.status}</td>
                <td>{d.attemptCount}</td>
                <td>
                  {attemptText(d)}
                  {d.status === 'pending' && d.nextAttemptAt ? (
                    <div class="hint">next {new Date(d.nextAttemptAt).toLocaleString()}</div>
                  ) : null}
                </td>
                <td>
                  <button
                    type="button"
                    aria-label={`Replay ${d.eventType} ${d.eventId}`}
                    onClick={() => void replay(d)}
                  >
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
