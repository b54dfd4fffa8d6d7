import request from 'supertest';
import { captureLog } from '../console/helpers';
import { filledSubmit } from '../helpers/server-process';
import type { CampaignInput } from '../../src/campaigns/schema';
import { campaign, startTestServer, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * SMS pumping from one address: a script walks calls with rotating caller ids and
 * confirms every number. /vxml/start and the send step (/vxml/confirm) are budgeted per
 * source address; the platform's networks (IVR_ALLOWED_CIDRS) have their own, larger
 * budget; X-Forwarded-For counts only with TRUST_PROXY. A refused request gets 429, a
 * document that hands the call back, and a log line naming the setting.
 */

const DNIS = '+18005550100';
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * The default settings unless `env` says otherwise: no platform networks (the helper's own
 * default). `campaignLimits` replaces the campaign's shipped caps, for a test of the
 * platform's budget, which the campaign's hourly cap would otherwise stop first.
 */
function start(env: Record<string, string> = {}, campaignLimits?: CampaignInput['limits']) {
  const { log, lines } = captureLog();
  server = startTestServer({ env: { IVR_ALLOWED_CIDRS: '', ...env }, log, campaigns: [campaign(campaignLimits ? { limits: campaignLimits } : {})] });
  return { srv: server, lines };
}

// Each caller in a number range of its own: the pumping guard (five texts a range) is not
// what these tests are about.
const ani = (i: number) => `+1617${200 + i}${String(1000 + i).slice(-4)}`;
const startQuery = (i: number) => new URLSearchParams({ dnis: DNIS, ani: ani(i), callid: `pump-${i}` });
/** Path and query of the document's <filled> submit. */
const nextPath = (xml: string, documentPath: string) => {
  const url = new URL(filledSubmit(xml, `http://ivr${documentPath}`).url);
  return url.pathname + url.search;
};

/** A whole call from `from` (the X-Forwarded-For a script sends): start, accept, confirm the number. */
async function pump(srv: TestServer, i: number, from?: string): Promise<request.Response> {
  const agent = request(srv.app);
  const withFrom = (r: request.Test) => (from ? r.set('X-Forwarded-For', from) : r);
  const startPath = `/vxml/start?${startQuery(i)}`;
  const offer = await withFrom(agent.get(startPath));
  if (offer.status !== 200) return offer;
  const offerPath = nextPath(offer.text, startPath);
  const confirm = await withFrom(agent.post(offerPath).type('form').send({ answer: '1' }));
  return withFrom(agent.post(nextPath(confirm.text, offerPath)).type('form').send({ answer: '1' }));
}

async function textsSent(srv: TestServer): Promise<number> {
  return (await srv.store.listMessages({ limit: 1000 })).length;
}

async function expectHandBack429(res: request.Response): Promise<void> {
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
  await expectValidVxml(res.text);
  expect(res.text).not.toContain('<field');
  expect(res.text).toContain(`expr="'failed'"`);
}

describe('with the default settings, one address', () => {
  it('starts 60 calls a minute; the 61st is handed back with 429 and is not recorded', async () => {
    const { srv, lines } = start();
    for (let i = 0; i < 60; i += 1) expect((await request(srv.app).get(`/vxml/start?${startQuery(i)}`)).status).toBe(200);
    const refused = await request(srv.app).get(`/vxml/start?${startQuery(60)}`);
    await expectHandBack429(refused);
    const calls = await srv.store.searchEvents({ from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z', limit: 1000 });
    expect(calls.filter((e) => e.type === 'started')).toHaveLength(60);
    expect(lines.some((l) => l.msg === 'rate limit reached' && l.limit === 'IVR_START_RATE_LIMIT')).toBe(true);
    // Never the caller's number in the log line.
    expect(JSON.stringify(lines)).not.toContain(ani(60).slice(1));
  });

  it('gets 10 texts a minute: the 11th confirmed number hears the hand-back and gets no text', async () => {
    const { srv, lines } = start();
    for (let i = 0; i < 10; i += 1) expect((await pump(srv, i)).status).toBe(200);
    await expectHandBack429(await pump(srv, 10));
    expect(await textsSent(srv)).toBe(10);
    expect(lines.some((l) => l.msg === 'rate limit reached' && l.limit === 'IVR_SEND_RATE_LIMIT')).toBe(true);
  });

  it('cannot dodge the budget with X-Forwarded-For when TRUST_PROXY is not set', async () => {
    const { srv } = start({ IVR_SEND_RATE_LIMIT: '3' });
    for (let i = 0; i < 3; i += 1) expect((await pump(srv, i, `198.51.100.${i}`)).status).toBe(200);
    await expectHandBack429(await pump(srv, 3, '198.51.100.3'));
    expect(await textsSent(srv)).toBe(3);
  });
});

describe('behind a trusted proxy (TRUST_PROXY)', () => {
  it('counts each client address of X-Forwarded-For on its own', async () => {
    const { srv } = start({ TRUST_PROXY: 'loopback', IVR_SEND_RATE_LIMIT: '1' });
    expect((await pump(srv, 0, '198.51.100.7')).status).toBe(200);
    await expectHandBack429(await pump(srv, 1, '198.51.100.7'));
    expect((await pump(srv, 2, '198.51.100.8')).status).toBe(200);
    expect(await textsSent(srv)).toBe(2);
  });
});

describe("the platform's networks (IVR_ALLOWED_CIDRS)", () => {
  it('have their own, larger budget', async () => {
    const { srv, lines } = start({
      IVR_ALLOWED_CIDRS: '127.0.0.0/8, ::1',
      IVR_START_RATE_LIMIT: '2',
      IVR_SEND_RATE_LIMIT: '1',
      IVR_PLATFORM_SEND_RATE_LIMIT: '5',
    });
    for (let i = 0; i < 5; i += 1) expect((await pump(srv, i)).status).toBe(200);
    await expectHandBack429(await pump(srv, 5));
    expect(await textsSent(srv)).toBe(5);
    expect(lines.some((l) => l.msg === 'rate limit reached' && l.limit === 'IVR_PLATFORM_SEND_RATE_LIMIT')).toBe(true);
  });

  it('with the defaults, carry a busy platform: 100 calls in a burst all texted (ten times the budget of any other address)', async () => {
    const { srv } = start({ IVR_ALLOWED_CIDRS: '127.0.0.0/8, ::1' }, { hourlyCap: null, dailyCap: null });
    await Promise.all(Array.from({ length: 100 }, async (_, i) => expect((await pump(srv, i)).status).toBe(200)));
    expect(await textsSent(srv)).toBe(100);
  }, 120_000);
});
