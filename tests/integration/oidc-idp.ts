/**
 * A real OpenID Provider (oidc-provider, an OpenID-certified implementation) as its own process,
 * for the single sign-on tests: `node tests/integration/oidc-idp.ts` with
 * - IDP_PORT: where it listens (127.0.0.1), its issuer being `http://127.0.0.1:<port>`;
 * - IDP_CLIENTS: JSON array of `{client_id, client_secret, redirect_uris}`;
 * - IDP_ACCOUNTS: JSON object `{ <account id>: { email, email_verified, name, groups } }`.
 *
 * The provider's own code does everything a real one does (discovery, JWKS, PKCE, code, tokens,
 * signed id tokens, RFC 9207 `iss`). Only its login page is replaced: `GET /interaction/<uid>?login=<id>`
 * signs in as that account (what a person would do by typing a password), and consent is taken as
 * given (a first-party client). `PUT /test/accounts/<id>` with a JSON body replaces that account's
 * claims (a person moved between groups at the provider). Prints `ready <issuer>` once it listens.
 */
import { createServer } from 'node:http';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

const port = Number(process.env.IDP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.IDP_CLIENTS ?? '[]') as {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}[];
const accounts = JSON.parse(process.env.IDP_ACCOUNTS ?? '{}') as Record<
  string,
  { email: string; email_verified: boolean; name?: string; groups?: string[] }
>;

const provider = new Provider(issuer, {
  clients: clients.map((client) => ({
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  // `groups` with the profile scope (what Parley asks for), as many providers send it.
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  // PKCE for every client, confidential ones included (OAuth 2.1, and what Parley sends).
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['parley-test-idp-cookie-key-0123456789'] },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  async loadExistingGrant(ctx: KoaContextWithOIDC) {
    const client = ctx.oidc.client;
    const session = ctx.oidc.session;
    if (!client || !session?.accountId) return undefined;
    const existing = session.grantIdFor(client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    session.grantIdFor(client.clientId, grant.jti);
    return grant;
  },
});

const handle = provider.callback();
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  if (req.method === 'PUT' && url.pathname.startsWith('/test/accounts/')) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    accounts[url.pathname.slice('/test/accounts/'.length)] = JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(204).end();
    return;
  }
  if (url.pathname.startsWith('/interaction/')) {
    try {
      await provider.interactionDetails(req, res);
      const login = url.searchParams.get('login') ?? '';
      if (!accounts[login]) {
        res.writeHead(400).end('unknown account');
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: login } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
    return;
  }
  handle(req, res);
});
server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
