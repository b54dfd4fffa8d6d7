import request from 'supertest';
import { loadConfig } from '../../src/config';
import { signTimestamped } from '../../src/signing/timestamped-hmac';
import type { SendOutcome, SmsGateway } from '../../src/sms/port';
import { startFakeWebhookGateway } from '../fakes/webhook';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server';
import { scrape, valueOf, type Sample } from './scrape';
import { PHONE_BROWSER } from '../helpers/link-visitors';

/**
 * What a Prometheus dashboard reads from GET /metrics after real calls through the app:
 * the funnel, request latency by route, vendor latency and errors.
 */

const DNIS = 'tel:+18005550100';
const MOBILE = '+16175551234';

async function sentLink(server: TestServer): Promise<string> {
  const res = await request(server.app).get('/api/messages').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const code = /\/s\/([0-9A-Za-z]+)$/.exec(res.body.messages[0].body as string)?.[1];
  if (!code) throw new Error('no short link in the text');
  return code;
}

/** A vendor whose carriers filter every text. */
const refusing: SmsGateway = {
  name: 'carrier-filtered',
  send: async (): Promise<SendOutcome> => ({ outcome: 'permanent', code: '30007', detail: 'Carrier violation', reason: 'blocked' }),
};

/**
 * Scrapes until check passes (background sends). No deadline of its own: how long a send
 * takes depends on the machine's load; jest's test timeout catches a send that never comes.
 */
async function scrapeUntil(server: TestServer, check: (samples: Sample[]) => boolean): Promise<Sample[]> {
  for (;;) {
    const samples = await scrape(server.app);
    if (check(samples)) return samples;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The server's clock runs from the start of a quarter hour (the funnel's slot), so the
// calls of a test all fall in one slot, and the funnel is read for the hours around it
// (the store reads a range an hour at a time: a century of range was 876,600 queries).
const SLOT_START = Date.parse('2026-11-24T15:00:00.000Z');
const clockFromSlotStart = (): (() => Date) => {
  const started = Date.now();
  return () => new Date(SLOT_START + (Date.now() - started));
};

describe('the deflection funnel', () => {
  let server: TestServer;
  beforeEach(() => {
    server = startTestServer({ now: clockFromSlotStart() });
  });
  afterEach(() => server.close());

  it('counts each step of real calls by campaign, as the funnel report does', async () => {
    const deflected = new IvrCaller(server.app);
    await deflected.start({ dnis: DNIS, ani: MOBILE });
    await deflected.press('1');
    await deflected.press('1');
    expect(deflected.ending().result.status).toBe('sent');
    expect((await request(server.app).get(`/s/${await sentLink(server)}`).set(PHONE_BROWSER)).status).toBe(302);

    const declined = new IvrCaller(server.app);
    await declined.start({ dnis: DNIS, ani: '+16175552222' });
    await declined.press('2');

    const silent = new IvrCaller(server.app);
    await silent.start({ dnis: DNIS, ani: '+16175553333' });
    await silent.giveUp('noinput');

    const wrongNumber = new IvrCaller(server.app);
    await wrongNumber.start({ dnis: 'tel:+18005559999', ani: MOBILE });
    expect(wrongNumber.ending().result).toMatchObject({ status: 'unavailable', reason: 'unknown-dnis' });

    const samples = await scrape(server.app);
    const support = { campaign: 'support' };
    expect(valueOf(samples, 'ivr_deflect_calls_started_total', support)).toBe(3);
    expect(valueOf(samples, 'ivr_deflect_calls_offered_total', support)).toBe(3);
    expect(valueOf(samples, 'ivr_deflect_offers_accepted_total', support)).toBe(1);
    expect(valueOf(samples, 'ivr_deflect_offers_declined_total', support)).toBe(1);
    expect(valueOf(samples, 'ivr_deflect_texts_total', { ...support, status: 'sent' })).toBe(1);
    expect(valueOf(samples, 'ivr_deflect_links_clicked_total', support)).toBe(1);
    expect(valueOf(samples, 'ivr_deflect_calls_handed_back_total', { ...support, reason: 'caller-declined' })).toBe(1);
    expect(valueOf(samples, 'ivr_deflect_calls_handed_back_total', { ...support, reason: 'no-input' })).toBe(1);
    // A call to a number no campaign answers belongs to no campaign.
    expect(valueOf(samples, 'ivr_deflect_calls_started_total', { campaign: 'none' })).toBe(1);
    expect(valueOf(samples, 'ivr_deflect_calls_not_offered_total', { campaign: 'none', reason: 'unknown-dnis' })).toBe(1);

    // The console's funnel report counts the same calls.
    const [slot, ...others] = (await server.store.funnelSlots({ from: '2026-11-24T14:00:00.000Z', to: '2026-11-24T17:00:00.000Z', campaignId: 'support' }));
    expect(others).toHaveLength(0);
    expect(slot).toMatchObject({ calls: 3, offered: 3, accepted: 1, declined: 1, textsSent: 1, linksClicked: 1 });
  });

  it('counts a text the gateway refused for good as failed, and the call as handed back', async () => {
    const srv = startTestServer({ gateway: refusing });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE });
      await caller.press('1');
      await caller.press('1');
      expect(caller.ending().result).toMatchObject({ status: 'failed', reason: 'gateway-error' });

      const samples = await scrape(srv.app);
      expect(valueOf(samples, 'ivr_deflect_texts_total', { campaign: 'support', status: 'failed' })).toBe(1);
      expect(valueOf(samples, 'ivr_deflect_texts_total', { campaign: 'support', status: 'sent' })).toBeUndefined();
      expect(valueOf(samples, 'ivr_deflect_calls_handed_back_total', { campaign: 'support', reason: 'gateway-error' })).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('counts a delivery receipt once, however often the vendor repeats it', async () => {
    const SECRET = 'in-house-gateway-secret';
    const vendor = await startFakeWebhookGateway(SECRET);
    const srv = startTestServer({ env: { SMS_GATEWAY: 'webhook', SMS_WEBHOOK_URL: `${vendor.url}/sms`, SMS_WEBHOOK_SECRET: SECRET } });
    try {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis: DNIS, ani: MOBILE });
      await caller.press('1');
      await caller.press('1');
      const body = JSON.stringify({ id: `gw-${vendor.accepted[0]?.id}`, status: 'delivered' });
      for (let i = 0; i < 2; i++) {
        const { timestamp, signature } = signTimestamped(SECRET, body, new Date());
        const receipt = await request(srv.app)
          .post('/webhooks/webhook/status')
          .set('Content-Type', 'application/json')
          .set('X-Signature-Timestamp', timestamp)
          .set('X-Signature', signature)
          .send(body);
        expect(receipt.status).toBe(204);
      }
      const samples = await scrape(srv.app);
      expect(valueOf(samples, 'ivr_deflect_texts_total', { campaign: 'support', status: 'sent' })).toBe(1);
      expect(valueOf(samples, 'ivr_deflect_texts_total', { campaign: 'support', status: 'delivered' })).toBe(1);
      expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/webhooks/:gateway/status', status: '2xx' })).toBe(2);
    } finally {
      await srv.close();
      await vendor.close();
    }
  });

  it('keeps each app in a process to its own counts', async () => {
    const other = startTestServer();
    try {
      await new IvrCaller(server.app).start({ dnis: DNIS, ani: MOBILE });
      expect(valueOf(await scrape(server.app), 'ivr_deflect_calls_started_total', { campaign: 'support' })).toBe(1);
      expect(valueOf(await scrape(other.app), 'ivr_deflect_calls_started_total', { campaign: 'support' })).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe('HTTP request latency', () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.close());

  it('is labelled by route pattern and status class, never by a raw path', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: MOBILE });
    await caller.press('1');
    await caller.press('1');
    await request(server.app).get(`/s/${await sentLink(server)}`);
    await request(server.app).get('/s/unknownCode1');
    await request(server.app).get('/vxml/no-such-document');
    await request(server.app).get('/no/such/page/123');
    await request(server.app).get('/api/messages');

    const samples = await scrape(server.app);
    const count = (labels: Record<string, string>) => valueOf(samples, 'http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/vxml/start', status: '2xx' })).toBe(1);
    expect(count({ method: 'POST', route: '/vxml/offer', status: '2xx' })).toBe(1);
    expect(count({ method: 'POST', route: '/vxml/confirm', status: '2xx' })).toBe(1);
    expect(count({ method: 'GET', route: '/s/:code', status: '3xx' })).toBe(1);
    expect(count({ method: 'GET', route: '/s/:code', status: '4xx' })).toBe(1);
    // Answered inside a router without a route: the router's prefix; answered by nothing: unmatched.
    expect(count({ method: 'GET', route: '/vxml/*', status: '2xx' })).toBe(1);
    expect(count({ method: 'GET', route: '/api/*', status: '4xx' })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '4xx' })).toBe(1);

    const buckets = samples.filter((s) => s.name === 'http_request_duration_seconds_bucket');
    expect(buckets.length).toBeGreaterThan(0);
    const routes = new Set(samples.filter((s) => s.name === 'http_request_duration_seconds_count').map((s) => s.labels.route));
    // No call id, short code or made-up path became a series of its own.
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[a-z]+(\/([a-z.]+|:code|\*))*)$/);
  });

  it('comes with the process metrics (CPU, memory, event loop)', async () => {
    const names = new Set((await scrape(server.app)).map((s) => s.name));
    expect(names).toContain('process_cpu_user_seconds_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('SMS gateway latency and errors', () => {
  it('times each vendor request by outcome and counts errors by kind', async () => {
    // Slows us down once (HTTP 429), then takes every text: the outbox retries in the background.
    let throttled = false;
    const acme: SmsGateway = {
      name: 'acme',
      send: async (sms): Promise<SendOutcome> => {
        if (!throttled) {
          throttled = true;
          return { outcome: 'retryable', code: 'http-429', detail: 'Too Many Requests', throttled: true, retryAfterMs: 50 };
        }
        return { outcome: 'accepted', vendorMessageId: `acme-${sms.id}` };
      },
    };
    const server = startTestServer({ gateway: acme, env: { SMS_RETRY_BASE_MS: '100' } });
    try {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: MOBILE });
      await caller.press('1');
      await caller.press('1');
      expect(caller.ending().result).toMatchObject({ status: 'sent', reason: 'queued' });

      const samples = await scrapeUntil(server, (s) => valueOf(s, 'ivr_deflect_texts_total', { status: 'sent' }) === 1);
      expect(valueOf(samples, 'ivr_deflect_texts_total', { campaign: 'support', status: 'sent' })).toBe(1);
      const requests = (outcome: string) =>
        valueOf(samples, 'ivr_deflect_gateway_request_duration_seconds_count', { gateway: 'acme', outcome });
      expect(requests('retryable')).toBe(1);
      expect(requests('accepted')).toBe(1);
      expect(valueOf(samples, 'ivr_deflect_gateway_errors_total', { gateway: 'acme', kind: 'throttled' })).toBe(1);
      expect(samples.filter((s) => s.name === 'ivr_deflect_gateway_errors_total')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('counts a refusal for good by its reason', async () => {
    const server = startTestServer({ gateway: refusing });
    try {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: MOBILE });
      await caller.press('1');
      await caller.press('1');
      const samples = await scrape(server.app);
      expect(valueOf(samples, 'ivr_deflect_gateway_errors_total', { gateway: 'carrier-filtered', kind: 'blocked' })).toBe(1);
      expect(valueOf(samples, 'ivr_deflect_gateway_request_duration_seconds_count', { gateway: 'carrier-filtered', outcome: 'permanent' })).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789';

  it('when set, /metrics answers only a request that carries it as a bearer token', async () => {
    const server = startTestServer({ env: { METRICS_TOKEN: TOKEN } });
    try {
      const missing = await request(server.app).get('/metrics');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="ivr-deflect"');
      expect(missing.text).not.toContain('ivr_deflect_');
      expect((await request(server.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`)).status).toBe(401);
      expect((await request(server.app).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).status).toBe(401);
      expect(valueOf(await scrape(server.app, TOKEN), 'ivr_deflect_outbox_pending')).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('when unset, /metrics is open', async () => {
    const server = startTestServer();
    try {
      expect((await request(server.app).get('/metrics')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('must be at least 16 characters', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN: must be at least 16 characters');
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
  });
});
