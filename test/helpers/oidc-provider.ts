import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Starts a real OpenID provider (oidc-provider, in its own process: serve.mjs) on a loopback
 * port, with our console registered as a confidential client that must use PKCE.
 */

export const CLIENT_ID = 'ivr-console';
export const CLIENT_SECRET = 'test-client-secret-0123456789abcdef';

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** The `roles` claim (the console maps its values to roles: OIDC_*_VALUES). */
  roles?: string[];
  /** The provider signs this account's ID tokens for another client (a refusal test). */
  wrongAudience?: boolean;
}

/** Accounts the tests sign in as: the login name is the account's subject. */
export const ACCOUNTS: Record<string, TestAccount> = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Admin', roles: ['console-admins', 'staff'] },
  victor: { email: 'victor@example.com', email_verified: true, name: 'Victor Viewer', roles: ['console-viewers', 'staff'] },
  nora: { email: 'nora@example.com', email_verified: true, name: 'Nora No-role', roles: ['staff'] },
  mallory: { email: 'mallory@elsewhere.example', email_verified: true, name: 'Mallory' },
  unverified: { email: 'eve@example.com', email_verified: false, name: 'Eve' },
  confused: { email: 'carol@example.com', email_verified: true, name: 'Carol', wrongAudience: true },
};

export interface TestProvider {
  issuer: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(redirectUris: string[]): Promise<TestProvider> {
  const config = {
    accounts: ACCOUNTS,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  };
  const child = spawn(process.execPath, [path.join(__dirname, 'oidc-provider/serve.mjs')], {
    env: { ...process.env, OIDC_TEST_CONFIG: JSON.stringify(config), NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the OpenID provider exited (${code}): ${err}`)));
  });
  return { issuer, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill();
  });
}
