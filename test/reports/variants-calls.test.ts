import request from 'supertest';
import { signIn, USER, passwordHash, type Admin } from '../console/helpers';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * An A/B test of two offer wordings with real calls through the app: the IVR walks each
 * call, the variant drawn by a fixed random value, texts go out through the sandbox
 * gateway and a phone's browser opens the links. Then the reports API (JSON, CSV and
 * /funnel?by=variant) and the console's Variants table. The expected statistics are
 * written here, computed by hand from the counts (sources named), not by the module.
 */

const SUPPORT_DNIS = '+18005550100';
const SALES_DNIS = '+18005550200';
const NOW = '2026-11-24T20:00:00Z';
const VARIANTS = [
  { id: 'plain', weight: 1 },
  { id: 'skip-queue', weight: 1, offer: 'Skip the queue: press 1 for a chat link by text, or 2 to hold.', message: 'Skip the queue: {link}' },
];
// Weights 1:1: a draw below 0.5 picks the first variant, above it the second.
const DRAW = { plain: 0.25, 'skip-queue': 0.75 } as const;
const PHONE = {
  'User-Agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

let server: TestServer;
let admin: Admin;
let draw = 0.5;
let caller = 0;

/** One call: hears variant `variant`; accepts (texted, the link opened on a phone) or declines. */
async function call(dnis: string, variant: keyof typeof DRAW, accepts: boolean): Promise<void> {
  draw = DRAW[variant];
  caller += 1;
  const ani = `+1617555${String(1000 + caller)}`;
  const ivr = new IvrCaller(server.app);
  await ivr.start({ dnis, ani, callid: `cvp-${caller}` });
  if (!accepts) {
    await ivr.press('2');
    return;
  }
  await ivr.press('1');
  await ivr.press('1');
  expect([caller, ivr.ending().result]).toEqual([caller, expect.objectContaining({ status: 'sent' })]);
  const sent = (await server.store.listMessages({ limit: 500 })).find((m) => m.to === ani);
  const code = /\/s\/([0-9A-Za-z]{7,16})/.exec(sent?.body ?? '')?.[1];
  expect((await request(server.app).get(`/s/${code}`).set(PHONE)).status).toBe(302);
}

async function calls(dnis: string, variant: keyof typeof DRAW, accepted: number, declined: number): Promise<void> {
  for (let i = 0; i < accepted; i++) await call(dnis, variant, true);
  for (let i = 0; i < declined; i++) await call(dnis, variant, false);
}

beforeAll(async () => {
  server = startTestServer({
    campaigns: [
      campaign({ variants: VARIANTS }),
      campaign({ id: 'sales', name: 'Sales chat', dnis: [SALES_DNIS], variants: VARIANTS }),
    ],
    // Twelve texts to one 617-555 range in a minute: the SMS pumping guard would rightly stop them.
    env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash(), PUMPING_MAX_PER_RANGE: '1000' },
    now: () => new Date(NOW),
    random: () => draw,
  });
  admin = await signIn(server.app);
  // Support: a clear difference. 1 of 10 against 8 of 10 (the wording with "skip the queue" first in the call order).
  await calls(SUPPORT_DNIS, 'skip-queue', 8, 2);
  await calls(SUPPORT_DNIS, 'plain', 1, 9);
  // Sales: too few calls to tell 1 of 5 from 2 of 5.
  await calls(SALES_DNIS, 'plain', 1, 4);
  await calls(SALES_DNIS, 'skip-queue', 2, 3);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const api = (path: string) => request(server.app).get(`/api${path}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
const DAY = 'from=2026-11-24&to=2026-11-24&timeZone=UTC';

describe('GET /api/reports/variants', () => {
  it("gives each variant's rates over offered calls with 95% intervals, the baseline being the campaign's first variant", async () => {
    const res = await api(`/reports/variants?${DAY}`).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const rows = res.body.rows.map((r: { campaign: string; variant: string; offered: number; steps: { linksClicked: { count: number } } }) => [
      r.campaign,
      r.variant,
      r.offered,
      r.steps.linksClicked.count,
    ]);
    // "plain" is first in the campaign's list, so it is the baseline though skip-queue was called first.
    expect(rows).toEqual([
      ['sales', 'plain', 5, 1],
      ['sales', 'skip-queue', 5, 2],
      ['support', 'plain', 10, 1],
      ['support', 'skip-queue', 10, 8],
    ]);
    const support = res.body.rows[3].steps.linksClicked;
    expect(support.rate).toBe(0.8);
    // Wilson 95% for 8 of 10: (0.8 + 1.96²/20 ± 1.96·sqrt(0.016 + 1.96²/400)) / (1 + 1.96²/10) = 0.4902 to 0.9433
    // (also Newcombe 1998's method 3; R: prop.test(8, 10, correct = FALSE)$conf.int).
    expect(support.interval).toEqual({ low: 0.4902, high: 0.9433 });
    // Pooled 9/20: se = sqrt(0.45·0.55·0.2) = 0.22249, z = 0.7 / 0.22249 = 3.1463, two-sided p = 0.00165
    // (R: prop.test(c(1, 8), c(10, 10), correct = FALSE) gives X-squared = 9.899, p-value = 0.001653).
    expect(support.vsBaseline).toMatchObject({ baseline: 'plain', difference: 0.7, significant: true });
    expect(support.vsBaseline.z).toBeCloseTo(3.1463, 3);
    expect(support.vsBaseline.pValue).toBeCloseTo(0.001653, 5);
    // The baseline is not tested against itself.
    expect(res.body.rows[2].steps.linksClicked.vsBaseline).toBeNull();
  });

  it('names a winner only when the difference is significant; otherwise the calls each arm still needs', async () => {
    const res = await api(`/reports/variants?${DAY}`).expect(200);
    expect(res.body.verdicts).toEqual([
      {
        campaign: 'sales',
        variant: 'skip-queue',
        baseline: 'plain',
        kind: 'not-significant',
        // 1/5 vs 2/5: z = 0.2 / sqrt(0.3·0.7·0.4) = 0.6901, p = 0.4902.
        pValue: expect.closeTo(0.4902, 4),
        // 20% vs 40% at 80% power, alpha 0.05: R's power.prop.test(p1 = .2, p2 = .4, power = .8) gives n = 81.2 per group.
        neededPerArm: 82,
        moreCalls: { baseline: 77, variant: 77 },
      },
      { campaign: 'support', variant: 'skip-queue', baseline: 'plain', kind: 'winner', winner: 'skip-queue', pValue: expect.closeTo(0.001653, 5) },
    ]);
  });

  it('is what /reports/funnel?by=variant answers (refused with a 400 before), for one campaign, as CSV too', async () => {
    const viaFunnel = await api(`/reports/funnel?${DAY}&by=variant&campaign=support`).expect(200);
    expect(viaFunnel.body.rows.map((r: { variant: string }) => r.variant)).toEqual(['plain', 'skip-queue']);
    const csv = await api(`/reports/variants?${DAY}&campaign=support&format=csv`).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, plain, skip] = csv.text.trim().split('\r\n').map((line) => line.split(','));
    const col = (name: string) => header!.indexOf(name);
    expect(skip![col('links_clicked_rate')]).toBe('0.8');
    expect(skip![col('links_clicked_ci_low')]).toBe('0.4902');
    expect(skip![col('links_clicked_significant')]).toBe('true');
    expect(plain![col('links_clicked_p_value')]).toBe('');
  });

  it('refuses a bad query with a 400 and needs the admin token', async () => {
    expect((await api('/reports/variants?from=2026-11-24&to=2026-11-01')).status).toBe(400);
    expect((await api(`/reports/variants?${DAY}&by=day`)).status).toBe(400);
    expect((await request(server.app).get(`/api/reports/variants?${DAY}`)).status).toBe(401);
  });
});

describe('the console report', () => {
  it('shows the Variants table with intervals and the verdicts: a winner for support, more calls for sales', async () => {
    const page = await admin.get(`/admin/reports?${DAY}`);
    expect(page.status).toBe(200);
    const section = /<section[^>]*data-section="variants"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? '';
    expect(section).toContain('<h2 id="variants-heading">Variants</h2>');
    const cell = /data-variant="support\/skip-queue"[\s\S]*?data-cell="linksClicked">([\s\S]*?)<\/td>/.exec(section)?.[1] ?? '';
    expect(cell.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()).toBe('80.0% 49.0%–94.3% p = 0.0017');
    const verdict = (id: string) =>
      (new RegExp(`data-verdict="${id}">([\\s\\S]*?)</li>`).exec(section)?.[1] ?? '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
    expect(verdict('support/skip-queue')).toBe('Support chat, skip-queue against plain (clicked of offered): skip-queue wins (p = 0.0017).');
    expect(verdict('sales/skip-queue')).toBe(
      'Sales chat, skip-queue against plain (clicked of offered): no winner yet (p = 0.4902): the difference seen needs 82 offered calls per variant to show, 77 more for plain and 77 more for skip-queue.',
    );
    const csv = await admin.get(`/admin/reports-variants.csv?${DAY}&by=day&campaign=`);
    expect(csv.status).toBe(200);
    expect(csv.text.trim().split('\r\n')).toHaveLength(1 + 4);
  });
});

describe('the savings estimate (issue 19 part 7)', () => {
  // 12 calls clicked (8 + 1 + 1 + 2), 12 texts sent. Avoided: 12 × 6.5 min × 1.20 = 93.60;
  // chats 12 × 2.50 = 30.00; texts 12 × 0.0079 = 0.0948; net 63.5052 → 63.51, 5.29 per call moved.
  const COSTS = 'voiceMinute=1.20&handleMinutes=6.5&chat=2.50&text=0.0079';

  it('GET /api/reports/savings estimates from the costs given with the question', async () => {
    const res = await api(`/reports/savings?${DAY}&${COSTS}`).expect(200);
    expect(res.body).toMatchObject({
      deflected: 12,
      textsSent: 12,
      voiceCostAvoided: 93.6,
      chatCost: 30,
      textCost: 0.09,
      net: 63.51,
      netPerDeflectedCall: 5.29,
      inputs: { voiceMinute: 1.2, handleMinutes: 6.5, chat: 2.5, text: 0.0079 },
    });
    const sales = await api(`/reports/savings?${DAY}&${COSTS}&campaign=sales`).expect(200);
    // Sales: 3 moved, 3 texts: 23.40 - 7.50 - 0.0237 = 15.8763.
    expect([sales.body.deflected, sales.body.textsSent, sales.body.net]).toEqual([3, 3, 15.88]);
    expect((await api(`/reports/savings?${DAY}&voiceMinute=1.20`)).status).toBe(400);
    expect((await api(`/reports/savings?${DAY}&voiceMinute=-1&handleMinutes=6.5&chat=2.50&text=0.0079`)).status).toBe(400);
  });

  it('the console shows it on the Reports page from the costs typed there, and explains a bad cost', async () => {
    const page = await admin.get(`/admin/reports?${DAY}&${COSTS}`);
    expect(page.status).toBe(200);
    const section = /<section[^>]*data-section="savings"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? '';
    const figure = (name: string) => new RegExp(`data-figure="${name}">([^<]+)<`).exec(section)?.[1];
    expect([figure('deflected'), figure('voiceCostAvoided'), figure('chatCost'), figure('textCost'), figure('net')]).toEqual(['12', '93.60', '30.00', '0.09', '63.51']);
    expect(section).toContain('value="6.5"');
    const bad = await admin.get(`/admin/reports?${DAY}&voiceMinute=abc&handleMinutes=6&chat=1&text=1`);
    // The rest of the report still shows: only the estimate is refused.
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('Give all four costs as numbers');
    expect(bad.text).not.toContain('data-figure="net"');
  });
});
