import type { VoxeoSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms } from '../../src/sms/port';
import { Writable } from 'node:stream';
import pino from 'pino';
import { legacyVoxeoWarning, VoxeoGateway } from '../../src/sms/voxeo';
import type { CampaignInput } from '../../src/campaigns/schema';
import { campaign, startTestServer } from '../helpers/server';
import { json } from '../fakes/fake-server';
import { startFakeVoxeo, VOXEO_PATH, voxeoFail, voxeoOk, type FakeVoxeo } from '../fakes/voxeo';

const account = { user: 'evo-user', password: 's3cret:pass' };
const sms: OutgoingSms = { id: 'msg_abc123', to: '+16175551234', body: 'Chat with us: https://x.test/s/AbCd1234 & more' };

let voxeo: FakeVoxeo;
let gateway: VoxeoGateway;

function settings(overrides: Partial<VoxeoSettings> = {}): VoxeoSettings {
  return { botKey: '123456', ...account, from: '14075551212', url: voxeo.endpoint, ...overrides };
}

const send = (g: VoxeoGateway = gateway, signal: AbortSignal = AbortSignal.timeout(5000)) => g.send(sms, signal);

beforeAll(async () => {
  voxeo = await startFakeVoxeo(account);
});
beforeEach(() => {
  voxeo.requests.length = 0;
  voxeo.respond(() => voxeoOk('vx-42'));
  gateway = new VoxeoGateway(settings());
});
afterAll(() => voxeo.close());

describe('VoxeoGateway request', () => {
  it('is named voxeo', () => {
    expect(gateway.name).toBe('voxeo');
  });

  it('POSTs a form to the messaging endpoint with HTTP Basic and every field', async () => {
    await send();
    expect(voxeo.requests).toHaveLength(1);
    const [req] = voxeo.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(VOXEO_PATH);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    expect(scheme).toBe('Basic');
    expect(Buffer.from(encoded, 'base64').toString()).toBe('evo-user:s3cret:pass');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      botkey: '123456',
      apimethod: 'send',
      msg: sms.body,
      user: '16175551234',
      network: 'SMS',
      from: '14075551212',
    });
  });

  it('keeps the credentials out of the URL and the body', async () => {
    await send();
    const [req] = voxeo.requests;
    expect(req.query.toString()).toBe('');
    expect(req.url).not.toContain(account.password);
    expect(req.body).not.toContain('s3cret');
  });

  it('leaves from out when no sender is configured', async () => {
    await send(new VoxeoGateway(settings({ from: undefined })));
    expect(new URLSearchParams(voxeo.requests[0].body).has('from')).toBe(false);
  });
});

describe('VoxeoGateway answers', () => {
  it('reads <rsp stat="ok"> with an <id> as accepted under that id', async () => {
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'vx-42' });
  });

  it('uses our own id, prefixed, when the success names no id', async () => {
    voxeo.respond(() => voxeoOk());
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'voxeo-msg_abc123' });
  });

  it.each([
    [{ id: 'j-1' }, 'j-1'],
    [{ messageId: 'j-2' }, 'j-2'],
    [{ id: 77 }, '77'],
  ])('takes the id from a JSON answer %j', async (body, id) => {
    voxeo.respond(() => json(200, body));
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: id });
  });

  it('accepts a 2xx it cannot read (the text most likely went; a resend would duplicate it)', async () => {
    voxeo.respond(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>OK' }));
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'voxeo-msg_abc123' });
  });

  it('reads a 200 whose <rsp> failed as a permanent refusal', async () => {
    voxeo.respond(() => voxeoFail(200, 'Message body not allowed'));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', code: 'voxeo-fail', reason: 'rejected' });
  });

  it('reads a 200 whose <rsp> failed over the number as invalid-number', async () => {
    voxeo.respond(() => voxeoFail(200, 'Invalid user 16175551234'));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'invalid-number' });
  });

  it.each(['Invalid destination number', 'Unknown user', 'cannot send to 16175551234'])(
    'reads a 400 naming the number (%j) as invalid-number',
    async (message) => {
      voxeo.respond(() => voxeoFail(400, message));
      await expect(send()).resolves.toMatchObject({ outcome: 'permanent', code: 'http-400', reason: 'invalid-number' });
    },
  );

  it('reads any other 4xx as a permanent rejection, with the body in the detail', async () => {
    voxeo.respond(() => voxeoFail(400, 'Missing botkey'));
    const outcome = await send();
    expect(outcome).toMatchObject({ outcome: 'permanent', code: 'http-400', reason: 'rejected' });
    expect(outcome.outcome === 'permanent' && outcome.detail).toContain('Missing botkey');
  });

  it('reads a malformed 4xx body as a permanent rejection', async () => {
    voxeo.respond(() => ({ status: 422, body: '\u0000<rsp stat=' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', code: 'http-422', reason: 'rejected' });
  });

  it('reads 401 (wrong credentials) as retryable: a fallback gateway may still send', async () => {
    const wrong = new VoxeoGateway(settings({ password: 'nope' }));
    await expect(send(wrong)).resolves.toMatchObject({ outcome: 'retryable', code: 'http-401' });
  });

  it('reads 429 as throttled, with its Retry-After', async () => {
    voxeo.respond(() => ({ ...voxeoFail(429, 'Too many requests'), headers: { 'retry-after': '7' } }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 7000 });
  });

  it.each([500, 502, 503])('reads %i as retryable', async (status) => {
    voxeo.respond(() => ({ status, body: 'upstream trouble' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: `http-${status}` });
  });

  it('reads no answer within the attempt timeout as a retryable timeout', async () => {
    voxeo.respond(() => ({ status: 200, hang: true }));
    await expect(send(gateway, AbortSignal.timeout(200))).resolves.toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a reset connection as a retryable network failure', async () => {
    voxeo.respond(() => ({ status: 200, reset: true }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

describe('Voxeo is legacy: one warning at start', () => {
  const VOXEO_ENV = { VOXEO_BOTKEY: '123456', VOXEO_USER: 'evo-user', VOXEO_PASSWORD: 's3cret:pass', VOXEO_URL: 'https://voxeo.example/1.0/messaging' };

  /** The warn lines a server logs while it starts. */
  async function startupWarnings(options: { env?: Record<string, string>; campaigns?: CampaignInput[] }): Promise<Record<string, unknown>[]> {
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    const server = startTestServer({ ...options, log: pino({ level: 'warn' }, sink) });
    await server.close();
    return logged.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  const legacyLines = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).includes('voxeo gateway is legacy'));

  it('when a campaign sends through voxeo: one line, naming the campaign, and no credential', async () => {
    const lines = await startupWarnings({ env: VOXEO_ENV, campaigns: [campaign({ id: 'legacy-line', gateway: 'voxeo' }), campaign({ id: 'modern', dnis: ['+18005550199'] })] });

    const legacy = legacyLines(lines);
    expect(legacy).toHaveLength(1);
    expect(legacy[0]).toMatchObject({ level: 40, gateway: 'voxeo', legacy: true, campaigns: ['legacy-line'], smsGateway: false });
    expect(JSON.stringify(legacy[0])).not.toContain('s3cret');
  });

  it('when SMS_GATEWAY is voxeo', async () => {
    const legacy = legacyLines(await startupWarnings({ env: { ...VOXEO_ENV, SMS_GATEWAY: 'voxeo' } }));

    expect(legacy).toEqual([expect.objectContaining({ smsGateway: true, campaigns: [] })]);
  });

  it('when VOXEO_* is merely configured', async () => {
    expect(legacyLines(await startupWarnings({ env: VOXEO_ENV }))).toHaveLength(1);
  });

  it('not when nothing configures or chooses voxeo', async () => {
    expect(legacyLines(await startupWarnings({}))).toEqual([]);
  });

  it.each([
    ['the fallback gateway', { fallbackGateway: 'voxeo' }, { smsFallbackGateway: true }],
    ['a campaign’s fallback', { campaigns: [{ id: 'c1', fallbackGateway: 'voxeo' }] }, { campaigns: ['c1'] }],
  ])('names voxeo chosen as %s', (_label, use, expected) => {
    const warning = legacyVoxeoWarning({ configured: true, defaultGateway: 'sandbox', fallbackGateway: undefined, campaigns: [], ...use });

    expect(warning?.fields).toMatchObject(expected);
  });
});
