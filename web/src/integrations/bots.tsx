/**
 * A tenant admin's bots: make one (a name, the scopes it may ever have), list and delete them;
 * per bot, issue a token (shown once; auth keeps only a hash), list its tokens (never the tokens)
 * and revoke one, and add the bot to a conversation by its id (messaging decides whether this
 * admin may add members there).
 */
import type { paths } from '@parley/sdk';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from '../pages/sign-in-page.tsx';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';

type Bot =
  paths['/api/v1/integrations/bots']['get']['responses'][200]['content']['application/json']['bots'][number];
type Token =
  paths['/api/v1/integrations/bots/{botId}/tokens']['get']['responses'][200]['content']['application/json']['tokens'][number];
type Scope = Bot['scopes'][number];

const SCOPES: Scope[] = ['messages:write', 'messages:read', 'conversations:read'];

export function Bots() {
  const [bots, setBots] = useState<Bot[]>([]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['messages:write']);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/integrations/bots');
    if (data) setBots(data.bots);
    else setError(describeProblem(problem, 'The bots could not be read.'));
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    if (scopes.length === 0) return setError('Choose at least one scope.');
    const { data, error: problem } = await api.POST('/api/v1/integrations/bots', {
      body: { name: name.trim(), scopes, ...(description.trim() ? { description: description.trim() } : {}) },
    });
    if (!data) return setError(describeProblem(problem, 'The bot could not be made.'));
    setError('');
    setName('');
    setDescription('');
    setStatus(`Bot ${data.name} is made (it posts as ${data.userId}). Issue it a token below.`);
    await load();
  };

  const remove = async (bot: Bot) => {
    const { response, error: problem } = await api.DELETE('/api/v1/integrations/bots/{botId}', {
      params: { path: { botId: bot.id } },
    });
    if (response.status !== 204) return setError(describeProblem(problem, 'The bot could not be deleted.'));
    setError('');
    setStatus(`Bot ${bot.name} is deleted with every token of it.`);
    await load();
  };

  const toggle = (scope: Scope, on: boolean) =>
    setScopes((all) => (on ? [...all.filter((s) => s !== scope), scope] : all.filter((s) => s !== scope)));

  return (
    <>
      <form class="card" onSubmit={create} aria-label="New bot">
        <label for="bot-name">Bot name</label>
        <input
          id="bot-name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="bot-description">Description (optional)</label>
        <input
          id="bot-description"
          maxLength={500}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <span key={scope} class="choice">
              <input
                id={`bot-scope-${scope}`}
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) => toggle(scope, e.currentTarget.checked)}
              />{' '}
              <label for={`bot-scope-${scope}`} class="inline">
                {scope}
              </label>
            </span>
          ))}
        </fieldset>
        <ErrorText id="bot-error" text={error} />
        <button type="submit">Make bot</button>
      </form>
      <p role="status">{status}</p>
      {bots.length === 0 ? (
        <p>No bots yet.</p>
      ) : (
        <ul class="bots" aria-label="Bots">
          {bots.map((b) => (
            <BotItem key={b.id} bot={b} onDelete={() => void remove(b)} />
          ))}
        </ul>
      )}
    </>
  );
}

function BotItem(props: { bot: Bot; onDelete: () => void }) {
  const bot = props.bot;
  const [tokens, setTokens] = useState<Token[]>([]);
  const [shown, setShown] = useState<string | undefined>();
  const [days, setDays] = useState('90');
  const [conversationId, setConversationId] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const load = async () => {
    const { data, error: problem } = await api.GET('/api/v1/integrations/bots/{botId}/tokens', {
      params: { path: { botId: bot.id } },
    });
    if (data) setTokens(data.tokens);
    else setError(describeProblem(problem, "The bot's tokens could not be read."));
  };
  useEffect(() => {
    void load();
  }, [bot.id]);

  const issue = async () => {
    const expiresInDays = Number(days);
    const { data, error: problem } = await api.POST('/api/v1/integrations/bots/{botId}/tokens', {
      params: { path: { botId: bot.id } },
      body: Number.isInteger(expiresInDays) && expiresInDays > 0 ? { expiresInDays } : {},
    });
    if (!data) return setError(describeProblem(problem, 'The token could not be issued.'));
    setError('');
    setShown(data.token);
    setStatus(`A token for ${bot.name} is shown below, once: copy it now.`);
    await load();
  };

  const revoke = async (token: Token) => {
    const { response, error: problem } = await api.DELETE(
      '/api/v1/integrations/bots/{botId}/tokens/{tokenId}',
      {
        params: { path: { botId: bot.id, tokenId: token.id } },
      },
    );
    if (response.status !== 204) return setError(describeProblem(problem, 'The token could not be revoked.'));
    setError('');
    setShown(undefined);
    setStatus(`Token ${token.id} is revoked: it stops working at once.`);
    await load();
  };

  const addTo = async (event: Event) => {
    event.preventDefault();
    const id = conversationId.trim();
    const { data, error: problem } = await api.PUT(
      '/api/v1/integrations/bots/{botId}/conversations/{conversationId}',
      {
        params: { path: { botId: bot.id, conversationId: id } },
      },
    );
    if (!data) return setError(describeProblem(problem, 'The bot could not be added there.'));
    setError('');
    setConversationId('');
    setStatus(`${bot.name} is a member of conversation ${id}.`);
  };

  return (
    <li class="card" data-bot={bot.id}>
      <h3>{bot.name}</h3>
      <p>
        Posts as <code>{bot.userId}</code>; scopes {bot.scopes.join(', ')}; made{' '}
        {new Date(bot.createdAt).toLocaleString()}
        {bot.description ? `. ${bot.description}` : ''}
      </p>
      <p>
        <label for={`bot-days-${bot.id}`} class="inline">
          Token valid for (days)
        </label>{' '}
        <input
          id={`bot-days-${bot.id}`}
          type="number"
          min={1}
          max={365}
          class="short"
          value={days}
          onInput={(e) => setDays(e.currentTarget.value)}
        />{' '}
        <button type="button" onClick={() => void issue()} aria-label={`Issue token for ${bot.name}`}>
          Issue token
        </button>{' '}
        <button type="button" onClick={props.onDelete} aria-label={`Delete bot ${bot.name}`}>
          Delete bot
        </button>
      </p>
      {shown && (
        <p>
          <label for={`bot-token-${bot.id}`}>Bot token (shown once)</label>{' '}
          <input id={`bot-token-${bot.id}`} class="scim-token" readOnly value={shown} />
        </p>
      )}
      {tokens.length > 0 && (
        <ul aria-label={`Tokens of ${bot.name}`}>
          {tokens.map((t) => (
            <li key={t.id} data-token={t.id}>
              <code>{t.id}</code>: {t.scopes.join(', ')}; expires {new Date(t.expiresAt).toLocaleDateString()}
              {t.revokedAt ? (
                `; revoked ${new Date(t.revokedAt).toLocaleString()}`
              ) : (
                <>
                  {' '}
                  <button type="button" onClick={() => void revoke(t)} aria-label={`Revoke token ${t.id}`}>
                    Revoke
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={addTo}>
        <label for={`bot-conversation-${bot.id}`}>Add {bot.name} to conversation (id)</label>{' '}
        <input
          id={`bot-conversation-${bot.id}`}
          required
          value={conversationId}
          onInput={(e) => setConversationId(e.currentTarget.value)}
        />{' '}
        <button type="submit">Add</button>
      </form>
      <ErrorText id={`bot-item-error-${bot.id}`} text={error} />
      <p role="status">{status}</p>
    </li>
  );
}
