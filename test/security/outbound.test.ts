import type { LookupAddress } from 'node:dns';
import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import type { Resolver } from '../../src/outbound/policy';
import { json, startFakeServer, type FakeServer } from '../fakes/fake-server';
import { captureLog } from '../console/helpers';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * Server-side request forgery through a campaign's availability check: the URL is an
 * admin's, but any anonymous caller makes the server fetch it, and what comes back used
 * to reach GET /api/events. Replayed against the real app: the internal service is a
 * fake on 127.0.0.1 holding a secret, and the tests count the requests it receives.
 */

const SECRET_BODY = 'root:x:0:0:root:/root:/bin/bash internal-secret-5120';
const DNIS = '+1 800 555 0100';

let internal: FakeServer;
let server: TestServer | undefined;

beforeAll(async () => {
  internal = await startFakeServer(() => json(200, { open: true, note: SECRET_BODY }));
});
afterAll(() => internal.close());
beforeEach(() => {
  internal.requests.length = 0;
  internal.respond(() => json(200, { open: true, note: SECRET_BODY }));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const port = () => new URL(internal.url).port;
const admin = (srv: TestServer) => ({
  post: (path: string, body: unknown) => request(srv.app).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body as object),
  get: (path: string) => request(srv.app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`),
});

/** Each server's log lines, and whether its last anonymous call was offered. */
const seen = new Map<TestServer, { lines: Array<Record<string, unknown>>; lastOffered: boolean }>();

function start(options: { campaigns?: CampaignInput[]; env?: Record<string, string>; resolve?: Resolver } = {}): TestServer {
  const { log, lines } = captureLog();
  server = startTestServer({ campaigns: options.campaigns ?? [], env: options.env ?? {}, log, ...(options.resolve ? { resolve: options.resolve } : {}) });
  seen.set(server, { lines, lastOffered: false });
  return server;
}

/** A campaign asking a JSON endpoint whether to offer; no caching, so every call asks. */
function checking(url: string, extra: Record<string, unknown> = {}): CampaignInput {
  return campaign({ availability: { kind: 'http', url, availablePath: 'open', cacheSeconds: 0, timeoutMs: 500, ...extra } } as Partial<CampaignInput>);
}

/** An anonymous caller starts a call: the IVR gets a valid document that hands the call back or offers. */
async function anonymousCall(srv: TestServer, callid: string): Promise<string> {
  const res = await request(srv.app).get('/vxml/start').query({ dnis: DNIS, ani: '+16175551234', callid });
  expect(res.status).toBe(200);
  await expectValidVxml(res.text);
  seen.get(srv)!.lastOffered = res.text.includes('<field');
  return res.text;
}

/**
 * What the last call's start recorded: an offered call's `offered` event from GET
 * /api/events; for a call handed back at start (counted, not stored, so no event), the
 * reason and detail of its log line. Neither the API nor the log ever holds the body.
 */
async function startEventDetail(srv: TestServer): Promise<Record<string, unknown>> {
  const res = await admin(srv).get('/api/events?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=500');
  expect(res.status).toBe(200);
  expect(JSON.stringify(res.body)).not.toContain('internal-secret-5120');
  const { lines, lastOffered } = seen.get(srv)!;
  expect(JSON.stringify(lines)).not.toContain('internal-secret-5120');
  if (!lastOffered) {
    const handedBack = lines.filter((l) => l.msg === 'call handed back at start').at(-1);
    expect(handedBack).toBeDefined();
    return { reason: handedBack!.reason, ...(handedBack!.detail === undefined ? {} : { detail: handedBack!.detail }) };
  }
  const events = res.body.events as Array<{ type: string; detail?: Record<string, unknown> }>;
  const last = events.filter((e) => e.type === 'offered').at(-1);
  expect(last).toBeDefined();
  return last!.detail ?? {};
}

/** A resolver answering from a table, counting questions: names without a network. */
function resolverOf(answer: (hostname: string, asked: number) => string): Resolver & { asked: number } {
  const resolver = Object.assign(
    (hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
      resolver.asked++;
      const address = answer(hostname, resolver.asked);
      callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
    },
    { asked: 0 },
  );
  return resolver;
}

describe('an availability URL that names an internal address', () => {
  it.each([
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['loopback', 'http://127.0.0.1:6379/', 'loopback'],
    ['loopback written as a number', 'http://2130706433/', 'loopback'],
    ['loopback as IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]/', 'loopback'],
    ['a private network', 'http://10.0.0.5/staff', 'private'],
    ['CGNAT', 'http://100.100.100.200/latest/meta-data/', 'shared \\(CGNAT\\)'],
    ['IPv6 metadata', 'http://[fd00:ec2::254]/', 'metadata'],
  ])('is refused by the admin API with 400 naming availability.url: %s', async (_label, url, kind) => {
    const srv = start();
    const res = await admin(srv).post('/api/campaigns', { ...checking(url), id: 'ssrf', dnis: ['+1 800 555 0190'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(new RegExp(`availability\\.url: .* is a ${kind} address; name the host in OUTBOUND_ALLOWED_HOSTS`));
    expect((await admin(srv).get('/api/campaigns/ssrf')).status).toBe(404);
  });

  it('is refused for a LivePerson baseUrl too', async () => {
    const srv = start();
    const res = await admin(srv).post('/api/campaigns', {
      ...campaign({ id: 'lp', dnis: ['+1 800 555 0191'] }),
      availability: { kind: 'liveperson', accountId: '123', baseUrl: 'http://169.254.169.254' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/availability\.baseUrl: 169\.254\.169\.254 is a metadata address/);
  });

  it('is allowed when OUTBOUND_ALLOWED_HOSTS names the host (an operator testing locally)', async () => {
    const srv = start({ campaigns: [checking(`${internal.url}/staff`)], env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' } });
    await anonymousCall(srv, 'allowed-1');
    expect(internal.requests).toHaveLength(1);
    expect(await startEventDetail(srv)).toEqual({ availability: 'available' });
  });
});

describe('a host name that resolves to an internal address', () => {
  it('is never connected to: the anonymous caller is handed back, the internal service sees nothing, the event names the address', async () => {
    const resolve = resolverOf(() => '127.0.0.1');
    const srv = start({ campaigns: [checking(`http://staffing.acme.test:${port()}/staff`)], resolve });

    const page = await anonymousCall(srv, 'named-1');
    expect(page).not.toContain('internal-secret-5120');
    expect(internal.requests).toHaveLength(0);
    expect(resolve.asked).toBe(1);
    expect(await startEventDetail(srv)).toEqual({
      reason: 'availability-error',
      detail: 'refused: staffing.acme.test (127.0.0.1) is a loopback address; name the host in OUTBOUND_ALLOWED_HOSTS to allow it',
    });
  });

  it('is refused when only one of its addresses is internal', async () => {
    const resolve: Resolver = (_h, _o, callback) => callback(null, [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }]);
    const srv = start({ campaigns: [checking(`http://staffing.acme.test:${port()}/staff`)], resolve });

    await anonymousCall(srv, 'mixed-1');
    expect(internal.requests).toHaveLength(0);
    expect(await startEventDetail(srv)).toMatchObject({ detail: expect.stringMatching(/^refused: .*127\.0\.0\.1\) is a loopback address/) });
  });

  it('fails DNS rebinding: a name that answered a public address before answers 127.0.0.1 at the next connection, which is refused', async () => {
    // A public address for the first question (an admin checking the name before saving),
    // loopback after. The test asks that first question itself: a connection to a public
    // address would leave this machine.
    const resolve = resolverOf((_host, asked) => (asked === 1 ? '93.184.216.34' : '127.0.0.1'));
    const srv = start({ campaigns: [checking(`http://rebind.acme.test:${port()}/staff`, { onError: 'offer' })], resolve });
    const firstAnswer = await new Promise<LookupAddress[]>((done, fail) =>
      resolve('rebind.acme.test', { all: true }, (err, addresses) => (err ? fail(err) : done(addresses))),
    );
    expect(firstAnswer).toEqual([{ address: '93.184.216.34', family: 4 }]);

    await anonymousCall(srv, 'rebind-1');
    await anonymousCall(srv, 'rebind-2');
    // Every connection asked again, and got the internal address: never reused from before.
    expect(resolve.asked).toBe(3);
    expect(internal.requests).toHaveLength(0);
    expect(await startEventDetail(srv)).toEqual({
      availability: 'error',
      availabilityError: 'refused: rebind.acme.test (127.0.0.1) is a loopback address; name the host in OUTBOUND_ALLOWED_HOSTS to allow it',
    });
  });
});

describe('what comes back from an allowed endpoint', () => {
  const env = { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' };

  it('keeps an error body out of events and API answers: a status and a category only', async () => {
    internal.respond(() => ({ status: 500, body: SECRET_BODY }));
    const srv = start({ campaigns: [checking(`${internal.url}/staff`)], env });
    await anonymousCall(srv, 'body-1');
    expect(await startEventDetail(srv)).toEqual({ reason: 'availability-error', detail: 'HTTP 500' });

    internal.respond(() => ({ status: 200, body: SECRET_BODY }));
    await anonymousCall(srv, 'body-2');
    expect(await startEventDetail(srv)).toEqual({ reason: 'availability-error', detail: 'answer is not JSON' });

    internal.respond(() => json(200, { open: SECRET_BODY }));
    const equals = start({ campaigns: [checking(`${internal.url}/staff`, { availableEquals: 'yes' })], env });
    await anonymousCall(equals, 'body-3');
    expect(await startEventDetail(equals)).toEqual({ reason: 'not-available', detail: 'open is not "yes"' });
  });

  it('does not follow a redirect to another host (the metadata address here)', async () => {
    internal.respond(() => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/iam/' } }));
    const srv = start({ campaigns: [checking(`${internal.url}/staff`)], env });
    await anonymousCall(srv, 'redirect-1');
    expect(internal.requests).toHaveLength(1);
    expect(await startEventDetail(srv)).toEqual({ reason: 'availability-error', detail: 'HTTP 302 (redirects are not followed)' });
  });
});

describe('credentials in campaign headers', () => {
  it.each([
    ['Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.literal'],
    ['X-Api-Key', 'k-8d1f3a9b'],
    ['Cookie', 'session=abc123'],
    ['X-Auth-Token', 'tok-55'],
  ])('refuses a literal %s with 400 naming the header, without echoing the value', async (name, value) => {
    const srv = start();
    const res = await admin(srv).post('/api/campaigns', {
      ...checking('https://staffing.example.com/now', { headers: { [name]: value } }),
      id: 'creds',
      dnis: ['+1 800 555 0192'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(`availability.headers.${name}: carries a credential: write {secret:NAME}`);
    expect(JSON.stringify(res.body)).not.toContain(value);
  });

  it('accepts credentials named as {secret:NAME}, with a scheme or as cookies, and plain headers as they are', async () => {
    const srv = start({ env: { CAMPAIGN_SECRET_TOKEN: 't', CAMPAIGN_SECRET_SID: 's' } });
    const headers = { Authorization: 'Bearer {secret:TOKEN}', 'X-Api-Key': '{secret:TOKEN}', Cookie: 'sid={secret:SID}', 'X-Brand': 'acme' };
    const res = await admin(srv).post('/api/campaigns', { ...checking('https://staffing.example.com/now', { headers }), id: 'named', dnis: ['+1 800 555 0193'] });
    expect(res.status).toBe(201);
  });
});
