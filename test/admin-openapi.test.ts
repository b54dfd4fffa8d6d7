import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server as HttpServer } from 'node:http';
import type { Router } from 'express';
import { adminOpenApi, OPERATIONS } from '../src/http/admin/openapi';
import { ContextTokens } from '../src/context/token';
import { adminRoutes } from '../src/http/admin-routes';
import { contextRoutes } from '../src/http/context-routes';
import { IvrCaller } from './helpers/ivr-caller';
import { startPrism, type PrismMock } from './helpers/prism';
import { ADMIN_TOKEN, campaign, startTestServer, tempDir, type TestServer } from './helpers/server';

/**
 * The OpenAPI document is kept in sync with the API two ways: the router's routes and the
 * document's operations are the same set, and real answers, sent through Prism acting as
 * a validating proxy of the document, break none of its schemas.
 */

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Every "METHOD /path" an express router answers, nested routers included. */
function routesOf(router: Router): string[] {
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) => {
      if (layer.route) return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route?.path}`);
      return layer.handle.stack ? walk(layer.handle.stack) : [];
    });
  return walk((router as unknown as { stack: Layer[] }).stack);
}

describe('the OpenAPI document', () => {
  it('lists exactly the routes the admin router and the context router (mounted at /api/context) answer', () => {
    const server = startTestServer();
    try {
      const router = adminRoutes({ store: server.store, catalog: server.campaigns, adminToken: ADMIN_TOKEN, log: undefined as never, now: () => new Date() });
      const context = contextRoutes({ store: server.store, tokens: undefined, adminToken: ADMIN_TOKEN, apiToken: undefined, log: undefined as never });
      const answered = [...routesOf(router), ...routesOf(context).map((r) => r.replace(' /', ' /context/'))]
        .filter((r) => r !== 'GET /openapi.json')
        .map((r) => r.replace(/:(\w+)/g, '{$1}'))
        .sort();
      const documented = OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`).sort();
      expect(answered).toEqual(documented);
    } finally {
      void server.close();
    }
  });

  it('describes every operation with a summary, its answers and the bearer scheme', () => {
    const doc = adminOpenApi() as { paths: Record<string, Record<string, { summary: string; responses: Record<string, unknown> }>> };
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(`${method} ${p}: ${op.summary}`).toMatch(/: \w/);
        expect(Object.keys(op.responses)).toContain('401');
      }
    }
  });
});

const CONTEXT_TOKEN_SECRET = 'a-context-token-secret-of-32-chars-or-more';
const CONTEXT_API_TOKEN = 'chat-platform-token-0123456789';

describe('real answers against the document (Prism validating proxy)', () => {
  let server: TestServer;
  let http: HttpServer;
  let prism: PrismMock;

  beforeAll(async () => {
    server = startTestServer({
      // The context API switched on, with a context the campaign allows, so its answer has a context.
      campaigns: [campaign({ context: { allow: ['intent'] } })],
      env: { CONTEXT_TOKEN_SECRET, CONTEXT_API_TOKEN },
    });
    http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const upstream = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api`;
    const spec = path.join(tempDir('openapi'), 'admin.json');
    const { servers: _relative, ...doc } = adminOpenApi();
    fs.writeFileSync(spec, JSON.stringify(doc));
    prism = await startPrism(spec, { command: 'proxy', upstream });
    // A few calls so messages, events and consent have rows.
    for (const [ani, callid] of [['+16175551234', 'a1'], ['+16175550000', 'a2']] as const) {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: '+18005550100', ani, callid, 'ctx.intent': 'billing' });
      await caller.press('1');
      await caller.press('1');
    }
  }, 60_000);

  afterAll(async () => {
    await prism?.stop();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const send = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${prism.url}${url}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    // Requests we send wrong on purpose break the document too: only answers are checked here.
    const violations = JSON.parse(res.headers.get('sl-violations') ?? '[]') as { location: string[]; message: string }[];
    return { status: res.status, violations: violations.filter((v) => v.location[0] === 'response'), body: await res.text() };
  };

  const from = '2000-01-01T00:00:00Z';
  const to = '2100-01-01T00:00:00Z';
  const callId = async () => ((await server.store.searchEvents({ from, to, limit: 1 }))[0]?.callId as string);

  it.each([
    ['GET', '/campaigns', 200, undefined],
    ['GET', '/campaigns/support', 200, undefined],
    ['GET', '/campaigns/nope', 404, undefined],
    ['POST', '/campaigns', 201, campaign({ id: 'sales', dnis: ['+18005550199'] })],
    ['POST', '/campaigns', 400, campaign({ id: 'bad', link: 'nope' })],
    ['PUT', '/campaigns/sales', 200, campaign({ id: 'sales', name: 'Renamed', dnis: ['+18005550199'] })],
    ['POST', '/campaigns/sales/deactivate', 200, undefined],
    ['POST', '/campaigns/sales/activate', 200, undefined],
    ['DELETE', '/campaigns/sales', 204, undefined],
    ['GET', '/service', 200, undefined],
    ['PUT', '/service', 200, { enabled: true }],
    ['GET', '/messages', 200, undefined],
    ['GET', '/messages?status=sent&number=1234&reveal=true&reason=audit+check', 200, undefined],
    ['GET', '/messages?limit=0', 400, undefined],
    ['GET', `/consent?from=${from}&to=${to}`, 200, undefined],
    // After the changes above, so the trail has entries with diffs in them.
    ['GET', '/audit?action=campaign&limit=2', 200, undefined],
    ['GET', `/audit?from=${from}&to=${to}&actor=admin&format=csv`, 200, undefined],
    ['GET', '/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 400, undefined],
    ['GET', `/events?from=${from}&to=${to}&limit=3`, 200, undefined],
    ['GET', `/events/export?from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z`, 200, undefined],
    ['GET', `/events/export?from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z&format=csv&type=offered`, 200, undefined],
    ['GET', `/events/export?from=${from}&to=${to}`, 400, undefined],
    ['GET', '/calls/{call}', 200, undefined],
    ['GET', '/reports/funnel?from=2026-01-01&to=2026-12-31&by=campaign', 200, undefined],
    ['GET', '/reports/funnel?from=2026-01-01&to=2026-01-31&by=hour&timeZone=Asia/Kolkata', 200, undefined],
    ['GET', '/reports/funnel?from=2026-01-01&to=2026-12-31&format=csv', 200, undefined],
    ['GET', '/reports/funnel?from=2026-02-01&to=2026-01-01', 400, undefined],
    ['GET', '/reports/funnel.svg?from=2026-01-01&to=2026-01-31&chart=series', 200, undefined],
    ['GET', `/reports/channels?from=${from}&to=2100-12-31T00:00:00Z`, 400, undefined],
    ['GET', '/reports/channels?from=2026-01-01&to=2026-12-31&by=campaign', 200, undefined],
    ['GET', '/reports/channels?from=2026-01-01&to=2026-12-31&format=csv', 200, undefined],
    ['GET', '/reports/variants?from=2026-01-01&to=2026-12-31', 200, undefined],
    ['GET', '/reports/variants?from=2026-01-01&to=2026-12-31&campaign=support&format=csv', 200, undefined],
    ['GET', '/reports/variants?from=2026-01-01&to=2027-12-31', 400, undefined],
    ['GET', '/reports/savings?from=2026-01-01&to=2026-12-31&voiceMinute=1.2&handleMinutes=6&chat=2.5&text=0.01', 200, undefined],
    ['GET', '/reports/savings?from=2026-01-01&to=2026-12-31&voiceMinute=1.2', 400, undefined],
  ])('%s %s answers %i within the document', async (method, url, status, body) => {
    const res = await send(method, url.replace('{call}', await callId()), body);
    expect({ status: res.status, violations: res.violations }).toEqual({ status, violations: [] });
  }, 20_000);

  it('answers the token routes within the document', async () => {
    const results: { status: number; violations: unknown[] }[] = [];
    const made = await send('POST', '/tokens', { name: 'openapi-check', role: 'viewer', expiresAt: '2100-01-01T00:00:00Z' });
    results.push(made);
    const { token } = JSON.parse(made.body) as { token: { id: string } };
    results.push(await send('POST', '/tokens', { name: 'openapi-check', role: 'viewer' }));
    results.push(await send('POST', '/tokens', { name: 'Not A Name', role: 'viewer' }));
    results.push(await send('GET', '/tokens'));
    results.push(await send('DELETE', `/tokens/${token.id}`));
    results.push(await send('DELETE', `/tokens/${token.id}`));
    expect(results.map((r) => ({ status: r.status, violations: r.violations }))).toEqual(
      [201, 409, 400, 200, 200, 404].map((status) => ({ status, violations: [] })),
    );
  }, 30_000);

  describe('GET /context/{token}', () => {
    // Tokens as the texted link carries them: HS256 with the server's secret, naming a call id.
    const tokenFor = (callId: string) => new ContextTokens(CONTEXT_TOKEN_SECRET, 3_600).sign(callId);

    it('answers the chat platform (its own bearer) and the admin with the call, both within the document', async () => {
      const token = await tokenFor(await callId());
      for (const bearer of [CONTEXT_API_TOKEN, ADMIN_TOKEN]) {
        const res = await send('GET', `/context/${token}`, undefined, { Authorization: `Bearer ${bearer}` });
        expect({ status: res.status, violations: res.violations }).toEqual({ status: 200, violations: [] });
        expect(JSON.parse(res.body)).toMatchObject({ campaignId: 'support', ani: '+*******1234', context: { intent: 'billing' }, channel: 'sms' });
      }
    }, 20_000);

    it.each([
      ['a wrong bearer', async () => tokenFor(await callId()), 'not-the-token-0123456789', 401],
      ['a forged token', async () => new ContextTokens('another-secret-of-at-least-32-chars!!', 3_600).sign(await callId()), CONTEXT_API_TOKEN, 401],
      ['a token of a call not kept', async () => tokenFor('no-such-call'), CONTEXT_API_TOKEN, 404],
    ])('refuses %s with an answer within the document', async (_case, token, bearer, status) => {
      const res = await send('GET', `/context/${await token()}`, undefined, { Authorization: `Bearer ${bearer}` });
      expect({ status: res.status, violations: res.violations }).toEqual({ status, violations: [] });
    }, 20_000);
  });
});
