// A real OpenID provider for the single sign-on tests: panva's oidc-provider (the certified
// implementation), run as its own process because it is an ES module and jest here loads
// CommonJS. Configured by the OIDC_TEST_CONFIG environment variable (JSON, oidc-provider.ts
// writes it); prints "listening <issuer>" once it answers.
//
// Its development interactions are the login and consent pages: any login name signs in as
// the account of that name (password ignored), then "Continue" grants the scopes. Accounts
// not in the config do not exist.
import http from 'node:http';
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? '{}');
const accounts = config.accounts ?? {};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients ?? [],
  jwks: { keys: [jwk] },
  cookies: { keys: ['oidc-test-provider-cookie-key-0123456789'] },
  // roles with openid: every sign-in gets it, in the userinfo answer (the ID token has only sub).
  claims: { openid: ['sub', 'roles'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
});

// A misbehaving provider for one test: the ID tokens of the accounts marked wrongAudience are
// signed (with the provider's real key) for another client, as a provider mixing up two
// registrations would. The relying party must refuse them.
const signingKey = await importJWK(jwk, 'RS256');
provider.use(async (ctx, next) => {
  await next();
  const idToken = ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' ? ctx.body.id_token : undefined;
  if (!idToken) return;
  const claims = decodeJwt(idToken);
  if (!accounts[claims.sub]?.wrongAudience) return;
  ctx.body = { ...ctx.body, id_token: await new SignJWT({ ...claims, aud: 'another-application' }).setProtectedHeader(decodeProtectedHeader(idToken)).sign(signingKey) };
});

server.on('request', provider.callback());
process.stdout.write(`listening ${issuer}\n`);
