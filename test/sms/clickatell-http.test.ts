import { ClickatellHttpGateway } from '../../src/sms/clickatell-http';
import type { ClickatellHttpSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms } from '../../src/sms/port';
import {
  CLICKATELL_HTTP_PATH,
  clickatellHttpErr,
  clickatellHttpId,
  fieldsOf,
  startFakeClickatellHttp,
  type FakeClickatellHttp,
} from '../fakes/clickatell-http';

const account = { user: 'acme-user', password: 'p@ss word&=1', apiId: '3442105' };
const sms: OutgoingSms = { id: 'msg_abc123', to: '+16175551234', body: 'Chat with us: https://x.test/s/AbCd1234 & more' };

let clickatell: FakeClickatellHttp;
let gateway: ClickatellHttpGateway;

function settings(overrides: Partial<ClickatellHttpSettings> = {}): ClickatellHttpSettings {
  return { ...account, from: '+14155550100', baseUrl: clickatell.url, ...overrides };
}

const send = (g: ClickatellHttpGateway = gateway, signal: AbortSignal = AbortSignal.timeout(5000), message: OutgoingSms = sms) =>
  g.send(message, signal);

beforeAll(async () => {
  clickatell = await startFakeClickatellHttp(account);
});
beforeEach(() => {
  clickatell.requests.length = 0;
  clickatell.respond(() => clickatellHttpId('9a8b7c6d5e4f'));
  gateway = new ClickatellHttpGateway(settings());
});
afterAll(() => clickatell.close());

describe('ClickatellHttpGateway request', () => {
  it('is named clickatell-http and only sends (no callbacks to parse)', () => {
    expect(gateway.name).toBe('clickatell-http');
    expect('parseReceipt' in gateway).toBe(false);
    expect('parseInbound' in gateway).toBe(false);
  });

  it('POSTs a form to /http/sendmsg with every field', async () => {
    await send();
    expect(clickatell.requests).toHaveLength(1);
    const [req] = clickatell.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(CLICKATELL_HTTP_PATH);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      user: 'acme-user',
      password: 'p@ss word&=1',
      api_id: '3442105',
      to: '16175551234',
      text: sms.body,
      from: '14155550100',
      climsgid: 'msg_abc123',
    });
  });

  it('puts the credentials in the body, never the URL', async () => {
    await send();
    const [req] = clickatell.requests;
    expect(req.url).toBe(CLICKATELL_HTTP_PATH);
    expect(req.query.toString()).toBe('');
    expect(req.url).not.toContain('acme-user');
    expect(req.url).not.toContain(encodeURIComponent(account.password));
  });

  it('leaves from out when no sender is configured', async () => {
    await send(new ClickatellHttpGateway(settings({ from: undefined })));
    expect(fieldsOf(clickatell.requests[0]).has('from')).toBe(false);
  });

  it('sends text outside GSM-7 as hex UCS-2 with unicode=1', async () => {
    await send(gateway, AbortSignal.timeout(5000), { ...sms, body: 'Hi “€” 💬' });
    const fields = fieldsOf(clickatell.requests[0]);
    expect(fields.get('unicode')).toBe('1');
    expect(fields.get('text')).toBe('004800690020201C20AC201D0020D83DDCAC');
  });

  it('lets a long text go in as many parts as it needs (concat)', async () => {
    await send(gateway, AbortSignal.timeout(5000), { ...sms, body: 'x'.repeat(200) });
    const fields = fieldsOf(clickatell.requests[0]);
    expect(fields.get('concat')).toBe('2');
    expect(fields.has('unicode')).toBe(false);
  });

  it('sends neither concat nor unicode for a short GSM-7 text', async () => {
    await send();
    const fields = fieldsOf(clickatell.requests[0]);
    expect(fields.has('concat')).toBe(false);
    expect(fields.has('unicode')).toBe(false);
  });
});

describe('ClickatellHttpGateway answers', () => {
  it('reads "ID: <id>" as accepted under that id', async () => {
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: '9a8b7c6d5e4f' });
  });

  it('gets a fresh id per text from the default fake', async () => {
    const fresh = await startFakeClickatellHttp(account);
    try {
      const g = new ClickatellHttpGateway(settings({ baseUrl: fresh.url }));
      const [a, b] = await Promise.all([send(g), send(g)]);
      expect(a.outcome).toBe('accepted');
      expect(a).not.toEqual(b);
    } finally {
      await fresh.close();
    }
  });

  it('reads wrong credentials (ERR: 001 with HTTP 200) as retryable', async () => {
    await expect(send(new ClickatellHttpGateway(settings({ password: 'wrong' })))).resolves.toEqual({
      outcome: 'retryable',
      code: 'clickatell-001',
      detail: '001: Authentication failed',
    });
  });

  it.each([
    ['105', 'Invalid Destination Address', { outcome: 'permanent', reason: 'invalid-number' }],
    ['114', 'Cannot route message', { outcome: 'permanent', reason: 'blocked' }],
    ['121', 'Destination mobile number blocked', { outcome: 'permanent', reason: 'blocked' }],
    ['122', 'Destination mobile opted out', { outcome: 'permanent', reason: 'unsubscribed' }],
    ['113', 'Maximum message parts exceeded', { outcome: 'permanent', reason: 'rejected' }],
    ['123', 'Invalid Sender ID', { outcome: 'permanent', reason: 'rejected' }],
    ['301', 'No credit left', { outcome: 'retryable' }],
    ['007', 'IP Lockdown violation', { outcome: 'retryable' }],
    ['901', 'Internal error', { outcome: 'retryable' }],
  ])('reads "ERR: %s, %s"', async (code, description, expected) => {
    clickatell.respond(() => clickatellHttpErr(code, description));
    await expect(send()).resolves.toEqual({ ...expected, code: `clickatell-${code}`, detail: `${code}: ${description}` });
  });

  it.each([
    [500, { outcome: 'retryable', code: 'http-500' }],
    [503, { outcome: 'retryable', code: 'http-503' }],
    [404, { outcome: 'permanent', code: 'http-404', reason: 'rejected' }],
  ])('reads HTTP %s by its status', async (status, expected) => {
    clickatell.respond(() => ({ status, body: 'upstream trouble' }));
    await expect(send()).resolves.toMatchObject(expected);
  });

  it('reads HTTP 429 as throttled', async () => {
    clickatell.respond(() => ({ status: 429, headers: { 'retry-after': '5' }, body: '' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 5000 });
  });

  it.each([
    ['an empty body', ''],
    ['an HTML page', '<html><body>Maintenance</body></html>'],
    ['"OK:" without an id', 'OK: '],
  ])('reads %s on 200 as a retryable malformed reply', async (_what, body) => {
    clickatell.respond(() => ({ status: 200, body }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('reads no answer within the attempt timeout as a retryable timeout', async () => {
    clickatell.respond(() => ({ status: 200, hang: true }));
    await expect(send(gateway, AbortSignal.timeout(200))).resolves.toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a dropped connection as a retryable network error', async () => {
    clickatell.respond(() => ({ status: 200, reset: true }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});
