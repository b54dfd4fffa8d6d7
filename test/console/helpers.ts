import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import type { Response } from 'supertest';
import { randomBytes, scryptSync } from 'node:crypto';
import { formatPasswordHash, scryptOptions } from '../../src/console/password';
import { startTestServer, type TestServer } from '../helpers/server';
import type { Overrides } from '../../src/compose';

export const USER = 'ops-lead';
export const PASSWORD = 'correct horse battery staple';

/**
 * The local admin's ADMIN_PASSWORD_HASH, at the lowest cost the server accepts (N = 2^14,
 * half the default's): every sign-in of a test, and every refused one, checks the
 * password against it (and unknown users against a hash of the same cost), and there are
 * hundreds. The default cost is what `npm run hash-password` prints, and
 * test/console/password.test.ts checks it; the server checks a hash with its own N.
 */
const TEST_COST = { N: 2 ** 14, r: 8, p: 1 } as const;
let hash: Promise<string> | undefined;
export const passwordHash = (): Promise<string> =>
  (hash ??= Promise.resolve().then(() => {
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD.normalize('NFC'), salt, 32, scryptOptions(TEST_COST));
    return formatPasswordHash({ ...TEST_COST, salt, key });
  }));

/** The real app and SQLite store with the console switched on (PUBLIC_BASE_URL is https). */
export async function startConsole(options: { env?: Record<string, string>; log?: Logger } & Overrides = {}): Promise<TestServer> {
  const { env, ...overrides } = options;
  return startTestServer({ env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash(), ...env }, ...overrides });
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attributes as written, e.g. ["Max-Age=28800", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"]. */
  attributes: string[];
}

export function setCookies(res: Response): SetCookie[] {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (header ?? []).map((line) => {
    const [pair = '', ...attributes] = line.split(/;\s*/);
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at), value: pair.slice(at + 1), attributes };
  });
}

/** The `_csrf` value of the first form on a page. */
export function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1];
  if (!token) throw new Error(`no _csrf field in:\n${html}`);
  return token;
}

/** GET the sign-in form: its double-submit cookie ("name=value") and the same token for the form. */
export async function signInForm(app: Express, path = '/admin/sign-in'): Promise<{ cookie: string; token: string }> {
  const res = await request(app).get(path);
  const cookie = setCookies(res).find((c) => c.name.endsWith('ivr_console_signin'));
  if (!cookie) throw new Error('the sign-in page set no form cookie');
  return { cookie: `${cookie.name}=${cookie.value}`, token: formToken(res.text) };
}

export async function postSignIn(app: Express, fields: Record<string, string>): Promise<Response> {
  const form = await signInForm(app);
  return request(app).post('/admin/sign-in').set('Cookie', form.cookie).type('form').send({ _csrf: form.token, ...fields });
}

export interface Admin {
  /** The session cookie as a Cookie header value. */
  cookie: string;
  /** The session's CSRF token, as its pages' forms carry it. */
  csrf: string;
  get(path: string): request.Test;
  /** A form post with the session's CSRF token (unless fields give their own _csrf). */
  post(path: string, fields?: Record<string, string>): request.Test;
}

/** Signs in through the form, as a browser would. */
export async function signIn(app: Express): Promise<Admin> {
  const res = await postSignIn(app, { user: USER, password: PASSWORD });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}:\n${res.text}`);
  const session = setCookies(res).find((c) => c.name.endsWith('ivr_console'));
  if (!session) throw new Error('sign-in set no session cookie');
  const cookie = `${session.name}=${session.value}`;
  const csrf = formToken((await request(app).get('/admin/service').set('Cookie', cookie)).text);
  return {
    cookie,
    csrf,
    get: (path) => request(app).get(path).set('Cookie', cookie),
    post: (path, fields = {}) => request(app).post(path).set('Cookie', cookie).type('form').send({ _csrf: csrf, ...fields }),
  };
}

/** A pino logger whose lines the test can read. */
export function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

/** Text of an HTML attribute or element as the browser reads it (the entities our templates write). */
export const unescapeHtml = (v: string): string =>
  v
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** What a browser posts for the page's campaign form as it stands, without script (templates are never posted). */
export function campaignFormFields(html: string): Record<string, string> {
  const whole = /<form[^>]*class="[^"]*campaign-form[^"]*"[\s\S]*?<\/form>/.exec(html)?.[0] ?? html;
  const form = whole.replace(/<template\b[\s\S]*?<\/template>/g, '');
  const fields: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    if (!name) continue;
    if (/type="checkbox"/.test(tag)) {
      if (/\schecked\b/.test(tag)) fields[name] = 'on';
      continue;
    }
    fields[name] = unescapeHtml(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  for (const m of form.matchAll(/<textarea\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1] ?? ''] = unescapeHtml(m[2] ?? '');
  for (const m of form.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const options = [...(m[2] ?? '').matchAll(/<option value="([^"]*)"([^>]*)>/g)];
    fields[m[1] ?? ''] = unescapeHtml((options.find((o) => /selected/.test(o[2] ?? '')) ?? options[0])?.[1] ?? '');
  }
  return fields;
}
