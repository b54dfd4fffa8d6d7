import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { passwordHash, USER } from '../helpers';
import { CookieBrowser, type Hop } from '../../helpers/cookie-browser';
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider, type TestProvider } from '../../helpers/oidc-provider';
import { startTestServer, type TestServer } from '../../helpers/server';

/**
 * The console (real app, SQLite) on a loopback port beside a real OpenID provider with the
 * console registered. The port comes first: the provider must know our redirect URI, and we
 * its issuer.
 */
export interface SsoRig {
  base: string;
  provider: TestProvider;
  server: TestServer;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startSsoRig(env: Record<string, string> = {}, options: { providerUp?: boolean } = {}): Promise<SsoRig> {
  let server: TestServer | undefined;
  const http: HttpServer = createServer((req, res) => {
    if (server) server.app(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const provider = await startOidcProvider([`${base}/admin/oidc/callback`]);
  if (options.providerUp === false) await provider.stop();
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  server = startTestServer({
    env: {
      PUBLIC_BASE_URL: base,
      ADMIN_USER: USER,
      ADMIN_PASSWORD_HASH: await passwordHash(),
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_ALLOWED_DOMAINS: 'example.com',
      OIDC_LABEL: 'Example SSO',
      OIDC_ADMIN_VALUES: 'console-admins',
      OIDC_VIEWER_VALUES: 'console-viewers',
      ...env,
    },
    log,
  });
  return {
    base,
    provider,
    server: server,
    logs,
    stop: async () => {
      await new Promise((resolve) => http.close(resolve));
      await server?.close();
      await provider.stop();
    },
  };
}

/** From the console's button to the provider's login page. */
export async function startSignIn(browser: CookieBrowser, rig: SsoRig, next = '/admin/reports'): Promise<Hop> {
  return browser.get(`${rig.base}/admin/oidc/start?next=${encodeURIComponent(next)}`);
}

/** Logs in at the provider and consents, stopping before the console's callback (returned: that redirect). */
export async function signInAtProvider(browser: CookieBrowser, rig: SsoRig, login: string): Promise<Hop> {
  const atCallback = (url: string) => url.startsWith(`${rig.base}/admin/oidc/callback`);
  const loginPage = await startSignIn(browser, rig);
  let hop = await browser.submit(loginPage, { prompt: 'login', login, password: 'any' }, atCallback);
  if (!hop.location || !atCallback(hop.location)) hop = await browser.submit(hop, { prompt: 'consent' }, atCallback);
  if (!hop.location || !atCallback(hop.location)) throw new Error(`the provider did not send us back:\n${hop.text.slice(0, 500)}`);
  return hop;
}
