import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { CURL, PHONE_BROWSER, SAFELINKS_SCANNER, WHATSAPP_PREVIEW } from '../helpers/link-visitors';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server';

/**
 * Issue 19 part 1 through the composed app: a real call is texted its short link; the
 * link is then fetched as the machines between the text and the caller fetch it (a HEAD,
 * WhatsApp's preview, Safe Links, curl) and finally tapped on a phone. Every one of them
 * gets the redirect; only the phone counts as a click, in the store and in the report.
 */

const DNIS = '+18005550100';
const MOBILE = '+16175551234';
const START = '2026-11-24T15:00:00.000Z';

let server: TestServer;
let clock: Date;

beforeEach(() => {
  clock = new Date(START);
  server = startTestServer({ now: () => clock });
});

afterEach(async () => {
  await server.close();
});

/** Calls, accepts the text and returns the texted short link's code and the call's id. */
async function textedLink(mobile = MOBILE): Promise<{ code: string; callId: string }> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: mobile });
  await caller.press('1');
  await caller.press('1');
  expect(caller.ending().result.status).toBe('sent');
  const [message] = (await server.store.listMessages({ limit: 10 })).filter((m) => m.to === mobile);
  const code = /\/s\/([0-9A-Za-z]{7,16})$/.exec(message?.body ?? '')?.[1];
  if (!code || !message?.callId) throw new Error('no short link was texted');
  return { code, callId: message.callId };
}

async function funnelTotal() {
  const res = await request(server.app)
    .get('/api/reports/funnel?from=2026-11-24&to=2026-11-24&timeZone=UTC')
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body.total as { linksClicked: number; linksPreviewed: number; textsSent: number };
}

async function funnelCsvLine(): Promise<Record<string, string>> {
  const res = await request(server.app)
    .get('/api/reports/funnel?from=2026-11-24&to=2026-11-24&timeZone=UTC&format=csv')
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const [header, line] = res.text.split('\r\n');
  const names = (header ?? '').split(',');
  const values = (line ?? '').split(',');
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

it('redirects a HEAD, a WhatsApp preview, Safe Links and curl without counting them; the phone counts once', async () => {
  const { code, callId } = await textedLink();
  const path = `/s/${code}`;

  clock = new Date('2026-11-24T15:01:00.000Z');
  const visits = [
    await request(server.app).head(path).set(PHONE_BROWSER),
    await request(server.app).get(path).set(WHATSAPP_PREVIEW),
    await request(server.app).get(path).set(SAFELINKS_SCANNER),
    await request(server.app).get(path).set(CURL),
  ];
  // A preview must still work: every machine is sent where the person will be.
  const target = visits[1]?.headers.location as string;
  expect(target).toMatch(/^https:\/\/chat\.example\.com\//);
  for (const v of visits) {
    expect(v.status).toBe(302);
    expect(v.headers.location).toBe(target);
  }
  expect(await funnelTotal()).toMatchObject({ textsSent: 1, linksClicked: 0, linksPreviewed: 1 });

  clock = new Date('2026-11-24T15:05:00.000Z');
  const tap = await request(server.app).get(path).set(PHONE_BROWSER);
  expect(tap.status).toBe(302);
  expect(tap.headers.location).toBe(target);
  // The caller taps again later: the link's clicks count it, the funnel still counts the call once.
  clock = new Date('2026-11-24T15:30:00.000Z');
  expect((await request(server.app).get(path).set(PHONE_BROWSER)).status).toBe(302);

  const events = (await server.store.listEvents(callId)).filter((e) => e.type.startsWith('link-'));
  expect(events.map((e) => [e.type, e.detail, e.createdAt])).toEqual([
    ['link-previewed', { code, agent: 'head' }, '2026-11-24T15:01:00.000Z'],
    ['link-previewed', { code, agent: 'preview:whatsapp' }, '2026-11-24T15:01:00.000Z'],
    ['link-previewed', { code, agent: 'scanner:safelinks' }, '2026-11-24T15:01:00.000Z'],
    ['link-previewed', { code, agent: 'no-html' }, '2026-11-24T15:01:00.000Z'],
    ['link-clicked', { code, agent: 'browser' }, '2026-11-24T15:05:00.000Z'],
  ]);
  // Only classes are kept: nothing of the user agents themselves.
  expect(JSON.stringify(events)).not.toMatch(/WhatsApp\/|Microsoft Office|curl|iPhone/);

  expect(await funnelTotal()).toMatchObject({ textsSent: 1, linksClicked: 1, linksPreviewed: 1 });
  expect(await funnelCsvLine()).toMatchObject({ links_clicked: '1', links_previewed: '1' });
  // The link itself: two clicks, the previews not among them.
  expect((await server.store.clickShortLink(code, clock.toISOString(), { kind: 'preview', agent: 'head' }))?.clicks).toBe(2);
});

it('counts a person who never gets a preview, and a link only previewed is not clicked', async () => {
  const first = await textedLink();
  const second = await textedLink('+16175555678');
  await request(server.app).get(`/s/${first.code}`).set(PHONE_BROWSER);
  await request(server.app).get(`/s/${second.code}`).set(WHATSAPP_PREVIEW);
  expect(await funnelTotal()).toMatchObject({ textsSent: 2, linksClicked: 1, linksPreviewed: 1 });
});

it('keeps a looping scanner to a bounded number of events, and a huge user agent is only classified', async () => {
  const { code, callId } = await textedLink();
  for (let i = 0; i < 30; i += 1) {
    expect((await request(server.app).get(`/s/${code}`).set(SAFELINKS_SCANNER)).status).toBe(302);
  }
  const huge = { 'User-Agent': `Mozilla/5.0 ${'x'.repeat(6_000)}`, Accept: PHONE_BROWSER.Accept };
  expect((await request(server.app).get(`/s/${code}`).set(huge)).status).toBe(302);
  const events = (await server.store.listEvents(callId)).filter((e) => e.type.startsWith('link-'));
  expect(events.filter((e) => e.type === 'link-previewed')).toHaveLength(10);
  expect(events.filter((e) => e.type === 'link-clicked').map((e) => e.detail)).toEqual([{ code, agent: 'browser' }]);
});
