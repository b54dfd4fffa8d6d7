import { createHash } from 'node:crypto';
import request from 'supertest';
import { signIn, startConsole } from '../console/helpers';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The HTML pages a browser opens (the console, the pages behind short links) carry a
 * strict Content-Security-Policy and the other security headers; the VoiceXML documents,
 * which no browser renders, do not. HSTS only when the public address is https.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The policy as directive → sources. */
function csp(res: request.Response): Record<string, string[]> {
  const header = res.headers['content-security-policy'] as string | undefined;
  if (!header) throw new Error(`no Content-Security-Policy on ${res.status} ${res.text.slice(0, 200)}`);
  return Object.fromEntries(
    header.split(';').map((d) => {
      const [name = '', ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('console pages', () => {
  it('allow scripts, styles and requests from this origin only, nothing inline, no framing', async () => {
    server = await startConsole();
    const admin = await signIn(server.app);
    for (const res of [await request(server.app).get('/admin/sign-in'), await admin.get('/admin/campaigns'), await admin.get('/admin/simulator')]) {
      expect(res.status).toBe(200);
      expect(csp(res)).toEqual({
        'default-src': ["'self'"],
        'base-uri': ["'none'"],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
      });
      expect(res.headers).toMatchObject({
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'same-origin',
        'cross-origin-opener-policy': 'same-origin',
        'cache-control': 'no-store',
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('carry the headers on error pages, redirects and the switched-off console too', async () => {
    server = await startConsole();
    const notFound = await request(server.app).get('/admin/assets/nope.css');
    const redirect = await request(server.app).get('/admin/messages');
    expect(redirect.status).toBe(303);
    for (const res of [notFound, redirect]) expect(csp(res)['frame-ancestors']).toEqual(["'none'"]);
    await server.close();
    server = startTestServer();
    const off = await request(server.app).get('/admin');
    expect(off.status).toBe(503);
    expect(csp(off)['default-src']).toEqual(["'self'"]);
  });

  it('tell browsers to keep to https (HSTS) when PUBLIC_BASE_URL is https, and not otherwise', async () => {
    server = await startConsole();
    expect((await request(server.app).get('/admin/sign-in')).headers['strict-transport-security']).toBe('max-age=31536000');
    await server.close();
    server = await startConsole({ env: { PUBLIC_BASE_URL: 'http://ivr.intranet.example' } });
    expect((await request(server.app).get('/admin/sign-in')).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('short-link pages', () => {
  it('load nothing but their own inline stylesheet, allowed by its hash', async () => {
    server = startTestServer();
    const res = await request(server.app).get('/s/AbCdEfGh');
    expect(res.status).toBe(404);
    const policy = csp(res);
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)?.[1] ?? '';
    expect(style).toContain('font-family');
    expect(policy).toEqual({
      'default-src': ["'none'"],
      'style-src': [`'sha256-${createHash('sha256').update(style).digest('base64')}'`],
      'form-action': ["'none'"],
      'base-uri': ["'none'"],
      'object-src': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    expect(res.text).not.toContain('<script');
    // The page a visitor goes on to (chat, the company's site) never learns the code.
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});

describe('VoiceXML documents', () => {
  it('get no browser policies: no CSP, no HSTS, no framing rules', async () => {
    server = startTestServer();
    const res = await request(server.app).get('/vxml/start?dnis=%2B18005550100&ani=%2B16175551234');
    expect(res.status).toBe(200);
    for (const header of ['content-security-policy', 'strict-transport-security', 'x-frame-options', 'cross-origin-opener-policy']) {
      expect(res.headers[header]).toBeUndefined();
    }
  });
});
