import { createHmac } from 'node:crypto';
import type { OutgoingSms, WebhookRequest } from '../../src/sms/port';
import { signTimestamped } from '../../src/signing/timestamped-hmac';
import { WebhookGateway } from '../../src/sms/webhook';
import { json } from '../fakes/fake-server';
import { startFakeWebhookGateway, type FakeWebhookGateway } from '../fakes/webhook';

const secret = 'whsec_test_0123456789';
const sms: OutgoingSms = { id: 'msg_abc123', to: '+16175551234', body: 'Chat with us: https://x.test/s/AbCd1234 “now”' };

let fake: FakeWebhookGateway;
let gateway: WebhookGateway;

const send = (g: WebhookGateway = gateway, signal: AbortSignal = AbortSignal.timeout(5000)) => g.send(sms, signal);

beforeAll(async () => {
  fake = await startFakeWebhookGateway(secret);
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.accepted.length = 0;
  fake.respond((m) => json(200, { id: `gw-${m.id}` }));
  gateway = new WebhookGateway({ url: `${fake.url}/sms/send`, secret });
});
afterAll(() => fake.close());

describe('signTimestamped', () => {
  it('signs "<unix seconds>.<raw body>" with HMAC-SHA256, hex, prefixed sha256=', () => {
    const at = new Date('2030-01-02T03:04:05.678Z');
    const { timestamp, signature } = signTimestamped('k', '{"a":1}', at);
    expect(timestamp).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(signature).toBe(`sha256=${createHmac('sha256', 'k').update(`${timestamp}.{"a":1}`).digest('hex')}`);
  });
});

describe('WebhookGateway request', () => {
  it('is named webhook', () => {
    expect(gateway.name).toBe('webhook');
  });

  it('POSTs signed JSON {id, to, body} that an in-house gateway accepts', async () => {
    await send();
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/sms/send');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ id: sms.id, to: sms.to, body: sms.body });
    expect(req.headers['x-signature-timestamp']).toMatch(/^\d+$/);
    expect(req.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(fake.accepted).toEqual([{ id: sms.id, to: sms.to, body: sms.body }]);
  });

  it('stamps the request with the clock it was given', async () => {
    const at = new Date(Date.now() - 60_000);
    await send(new WebhookGateway({ url: fake.url, secret }, { now: () => at }));
    expect(fake.requests[0].headers['x-signature-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
  });

  it('is refused by the gateway when signed with the wrong secret', async () => {
    const outcome = await send(new WebhookGateway({ url: fake.url, secret: 'not-the-secret' }));
    expect(outcome).toMatchObject({ outcome: 'retryable', code: 'http-401' });
    expect(fake.accepted).toEqual([]);
  });

  it('is refused by the gateway when its clock is more than five minutes off', async () => {
    const stale = new WebhookGateway({ url: fake.url, secret }, { now: () => new Date(Date.now() - 6 * 60_000) });
    await expect(send(stale)).resolves.toMatchObject({ outcome: 'retryable', code: 'http-401' });
    expect(fake.accepted).toEqual([]);
  });
});

describe('WebhookGateway answers', () => {
  it('reads 2xx {id} as accepted under their id', async () => {
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'gw-msg_abc123' });
  });

  it.each([
    ['JSON without an id', json(202, { queued: true })],
    ['an empty body', { status: 204 }],
    ['a body that is not JSON', { status: 200, body: 'OK' }],
  ])('uses our own id, prefixed, on 2xx with %s', async (_label, reply) => {
    fake.respond(() => reply);
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'webhook-msg_abc123' });
  });

  it.each(['invalid-number', 'unsubscribed', 'blocked', 'rejected'] as const)(
    'reads 2xx {status: "rejected", reason: %j} as permanent with that reason',
    async (reason) => {
      fake.respond(() => json(200, { status: 'rejected', reason }));
      await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason, code: reason });
    },
  );

  it('keeps the gateway code of a rejection', async () => {
    fake.respond(() => json(200, { status: 'rejected', reason: 'unsubscribed', code: 21610 }));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'unsubscribed', code: '21610' });
  });

  it('reads a rejection with an unknown or missing reason as rejected', async () => {
    fake.respond(() => json(200, { status: 'rejected', reason: 'carrier-mood' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'rejected', code: 'carrier-mood' });
    fake.respond(() => json(200, { status: 'rejected' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'rejected', code: 'rejected' });
  });

  it.each([400, 404, 422])('reads %i as a permanent rejection, with the body in the detail', async (status) => {
    fake.respond(() => json(status, { error: 'no such route' }));
    const outcome = await send();
    expect(outcome).toMatchObject({ outcome: 'permanent', reason: 'rejected', code: `http-${status}` });
    expect(outcome.outcome === 'permanent' && outcome.detail).toContain('no such route');
  });

  it.each([401, 403, 408])('reads %i as retryable', async (status) => {
    fake.respond(() => ({ status }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: `http-${status}` });
  });

  it('reads 429 as throttled, with its Retry-After', async () => {
    fake.respond(() => json(429, { error: 'slow down' }, { 'retry-after': '3' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 3000 });
  });

  it.each([500, 503])('reads %i as retryable', async (status) => {
    fake.respond(() => ({ status, body: '<html>down</html>' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: `http-${status}` });
  });

  it('reads no answer within the attempt timeout as a retryable timeout', async () => {
    fake.respond(() => ({ status: 200, hang: true }));
    await expect(send(gateway, AbortSignal.timeout(200))).resolves.toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a reset connection as a retryable network failure', async () => {
    fake.respond(() => ({ status: 200, reset: true }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

describe('WebhookGateway callbacks', () => {
  const now = new Date('2030-06-01T12:00:00Z');
  const callbacks = new WebhookGateway({ url: 'http://gateway.invalid', secret }, { now: () => now });

  /** A callback as our HTTP layer hands it over; signed like the in-house gateway would. */
  function callback(payload: unknown, sign: { secret?: string; at?: Date } | false = {}): WebhookRequest {
    const rawBody = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const headers: Record<string, string | undefined> = { 'content-type': 'application/json' };
    if (sign) {
      const { timestamp, signature } = signTimestamped(sign.secret ?? secret, rawBody, sign.at ?? now);
      headers['x-signature-timestamp'] = timestamp;
      headers['x-signature'] = signature;
    }
    return { url: 'https://ivr.example.com/sms/webhook/receipt', method: 'POST', headers, rawBody, params: {} };
  }

  describe('parseReceipt', () => {
    it('reads a signed receipt', () => {
      expect(callbacks.parseReceipt(callback({ id: 'gw-1', status: 'delivered' }))).toEqual({
        ok: true,
        value: [{ vendorMessageId: 'gw-1', status: 'delivered', vendorStatus: 'delivered' }],
      });
    });

    it('keeps the error code, as text', () => {
      expect(callbacks.parseReceipt(callback({ id: 'gw-1', status: 'undelivered', errorCode: 30003 }))).toEqual({
        ok: true,
        value: [{ vendorMessageId: 'gw-1', status: 'undelivered', vendorStatus: 'undelivered', errorCode: '30003' }],
      });
    });

    it.each(['queued', 'sent', 'delivered', 'undelivered', 'failed'])('accepts status %j', (status) => {
      expect(callbacks.parseReceipt(callback({ id: 'gw-1', status }))).toMatchObject({ ok: true, value: [{ status }] });
    });

    it('accepts a timestamp within five minutes either way', () => {
      const early = new Date(now.getTime() - 299_000);
      const late = new Date(now.getTime() + 299_000);
      expect(callbacks.parseReceipt(callback({ id: 'gw-1', status: 'sent' }, { at: early })).ok).toBe(true);
      expect(callbacks.parseReceipt(callback({ id: 'gw-1', status: 'sent' }, { at: late })).ok).toBe(true);
    });

    it('refuses an unsigned callback with 401', () => {
      expect(callbacks.parseReceipt(callback({ id: 'gw-1', status: 'delivered' }, false))).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a callback signed with another secret with 401', () => {
      const forged = callback({ id: 'gw-1', status: 'delivered' }, { secret: 'guess' });
      expect(callbacks.parseReceipt(forged)).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a signature of the wrong shape or length with 401', () => {
      for (const signature of ['sha256=', 'sha256=abc', 'md5=0000', `sha256=${'0'.repeat(64)}`]) {
        const req = callback({ id: 'gw-1', status: 'delivered' });
        req.headers['x-signature'] = signature;
        expect(callbacks.parseReceipt(req)).toMatchObject({ ok: false, status: 401 });
      }
    });

    it('refuses a tampered body with 401', () => {
      const req = callback({ id: 'gw-1', status: 'failed' });
      req.rawBody = req.rawBody.replace('failed', 'delivered');
      expect(callbacks.parseReceipt(req)).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a replayed callback (timestamp over five minutes old) with 401', () => {
      const replay = callback({ id: 'gw-1', status: 'delivered' }, { at: new Date(now.getTime() - 301_000) });
      expect(callbacks.parseReceipt(replay)).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a timestamp over five minutes ahead with 401', () => {
      const future = callback({ id: 'gw-1', status: 'delivered' }, { at: new Date(now.getTime() + 301_000) });
      expect(callbacks.parseReceipt(future)).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a timestamp that is not whole unix seconds with 401, even when signed', () => {
      const req = callback({ id: 'gw-1', status: 'delivered' });
      const timestamp = `${req.headers['x-signature-timestamp']}.0`;
      req.headers['x-signature-timestamp'] = timestamp;
      req.headers['x-signature'] = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${req.rawBody}`).digest('hex')}`;
      expect(callbacks.parseReceipt(req)).toMatchObject({ ok: false, status: 401 });
    });

    it('reads the signed body, never the unsigned query parameters', () => {
      const req = callback({ id: 'gw-1', status: 'failed' });
      req.params = { id: 'gw-1', status: 'delivered' };
      expect(callbacks.parseReceipt(req)).toMatchObject({ ok: true, value: [{ status: 'failed' }] });
    });

    it.each([
      ['missing id', { status: 'delivered' }],
      ['empty id', { id: '', status: 'delivered' }],
      ['missing status', { id: 'gw-1' }],
      ['unknown status', { id: 'gw-1', status: 'read' }],
      ['an errorCode that is an object', { id: 'gw-1', status: 'failed', errorCode: { x: 1 } }],
      ['a JSON array', [{ id: 'gw-1', status: 'delivered' }]],
      ['a body that is not JSON', 'id=gw-1&status=delivered'],
    ])('answers 400 for %s (signed)', (_label, payload) => {
      expect(callbacks.parseReceipt(callback(payload))).toMatchObject({ ok: false, status: 400 });
    });
  });

  describe('parseInbound', () => {
    it('reads a signed inbound text', () => {
      expect(callbacks.parseInbound(callback({ from: '+16175551234', to: '+18005550100', text: 'STOP' }))).toEqual({
        ok: true,
        value: { from: '+16175551234', to: '+18005550100', text: 'STOP' },
      });
    });

    it('refuses unsigned, forged, stale and tampered texts with 401', () => {
      const text = { from: '+16175551234', to: '+18005550100', text: 'START' };
      const tampered = callback(text);
      tampered.rawBody = tampered.rawBody.replace('START', 'STOP');
      for (const req of [
        callback(text, false),
        callback(text, { secret: 'guess' }),
        callback(text, { at: new Date(now.getTime() - 10 * 60_000) }),
        tampered,
      ]) {
        expect(callbacks.parseInbound(req)).toMatchObject({ ok: false, status: 401 });
      }
    });

    it.each([
      ['missing from', { to: '+18005550100', text: 'hi' }],
      ['missing to', { from: '+16175551234', text: 'hi' }],
      ['missing text', { from: '+16175551234', to: '+18005550100' }],
      ['a text that is a number', { from: '+16175551234', to: '+18005550100', text: 5 }],
    ])('answers 400 for %s (signed)', (_label, payload) => {
      expect(callbacks.parseInbound(callback(payload))).toMatchObject({ ok: false, status: 400 });
    });
  });
});
