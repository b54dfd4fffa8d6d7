import type { Server as HttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { PASSWORD, passwordHash, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, screenshot, signedInPage, listenOnLoopback } from '../helpers/browser';
import { IvrCaller } from '../helpers/ivr-caller';
import { PHONE_BROWSER, WHATSAPP_PREVIEW } from '../helpers/link-visitors';
import { campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Issue 19's new report parts in Chromium, at laptop and phone width, after real calls:
 * the funnel's Previewed and Repeat calls columns, the "deflections that stuck" table and
 * the Savings card. Each width asserts the figures a user reads and that the page does not
 * widen past the screen (tables scroll in their own box), and saves screenshots
 * (test-artifacts/screenshots/09-funnel-*, 10-stuck-*, 11-savings-*.png) for people to look at.
 */

const DNIS = '+18005550100';
const CALLER_A = '+16175551234';
const CALLER_B = '+16175550142';
const CALLER_C = '+16175550199';

describeIfChromium('the report parts of issue 19 in Chromium')('the report parts of issue 19 in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;
  // An injected clock: texts on the 1st, a call back on the 4th, the report read on the 21st,
  // when every 7-day recontact window has passed and the stuck report judges all the texts.
  let clock = new Date('2026-11-01T15:00:00Z');

  async function texted(ani: string, callid: string): Promise<string> {
    const ivr = new IvrCaller(server.app);
    await ivr.start({ dnis: DNIS, ani, callid });
    await ivr.press('1');
    await ivr.press('1');
    expect(ivr.ending().result.status).toBe('sent');
    const sent = (await server.store.listMessages({ limit: 100 })).find((m) => m.to === ani);
    const path = /\/s\/[0-9A-Za-z]{7,16}$/.exec(sent?.body ?? '')?.[0];
    if (!path) throw new Error(`no short link texted to ${ani}`);
    return path;
  }

  beforeAll(async () => {
    server = startTestServer({
      campaigns: [campaign({ recontactDays: 7 })],
      env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash() },
      now: () => clock,
    });
    // Three callers texted. A's link: WhatsApp draws its preview card, then A taps it on the
    // phone. B's link: only the preview. C's: untouched. Previewed 2, clicked 1.
    const linkA = await texted(CALLER_A, 'cvp-a');
    const linkB = await texted(CALLER_B, 'cvp-b');
    await texted(CALLER_C, 'cvp-c');
    expect((await request(server.app).get(linkA).set(WHATSAPP_PREVIEW)).status).toBe(302);
    expect((await request(server.app).get(linkA).set(PHONE_BROWSER)).status).toBe(302);
    expect((await request(server.app).get(linkB).set(WHATSAPP_PREVIEW)).status).toBe(302);
    // Three days later A calls again and holds: one repeat call; B and C stuck.
    clock = new Date('2026-11-04T15:00:00Z');
    const back = new IvrCaller(server.app);
    await back.start({ dnis: DNIS, ani: CALLER_A, callid: 'cvp-a-again' });
    await back.press('2');
    clock = new Date('2026-11-21T15:00:00Z');

    ({ http, base } = await listenOnLoopback(server));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const signedIn = (width: number, height: number): Promise<Page> => signedInPage(browser, base, { width, height }, { user: USER, password: PASSWORD });

  /** The funnel table's total row, cell by column heading, as the page shows them. */
  async function totals(page: Page): Promise<Record<string, string>> {
    const table = page.locator('[aria-label="Report rows"] table');
    const headings = (await table.locator('thead th').allTextContents()).map((s) => s.trim());
    const cells = (await table.locator('tr.total > *').allTextContents()).map((s) => s.trim());
    return Object.fromEntries(headings.map((h, i) => [h, cells[i] ?? '']));
  }

  /** The stuck report's row for a campaign, cell by column heading. */
  async function stuckRow(page: Page, campaignId: string): Promise<Record<string, string>> {
    const table = page.locator('[data-section="stuck"] table');
    const headings = (await table.locator('thead th').allTextContents()).map((s) => s.trim());
    const cells = (await table.locator(`tr[data-campaign="${campaignId}"] > *`).allTextContents()).map((s) => s.trim());
    return Object.fromEntries(headings.map((h, i) => [h, cells[i] ?? '']));
  }

  const overflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  it.each([
    ['laptop', 1280, 800],
    ['phone', 390, 844],
  ])('shows previews, repeat calls, the deflections that stuck and the savings at %s width without widening the page', async (name, width, height) => {
    const page = await signedIn(width, height);
    // Costs: voice 1.20/min, 6.5 min handled, a chat 2.50, a text 0.0079.
    await page.goto(`${base}/admin/reports?from=2026-11-01&to=2026-11-04&timeZone=UTC&by=day&voiceMinute=1.2&handleMinutes=6.5&chat=2.5&text=0.0079`);

    // The funnel: 4 calls (3 texted, 1 call back), 2 links previewed, 1 clicked, 1 repeat call.
    const total = await totals(page);
    expect(total).toMatchObject({ Calls: '4', Sent: '3', Clicked: '1', Previewed: '2', 'Repeat calls': '1' });
    await expect(page.locator('[data-figure="linksPreviewed"]').textContent()).resolves.toBe('2');
    // Under the table, a line says what a preview is, so 2 previewed beside 1 clicked reads right.
    const note = page.locator('[aria-label="Report rows"] + [data-note="previewed"]');
    await expect(note.isVisible()).resolves.toBe(true);
    await expect(note.textContent()).resolves.toContain('Previewed: link fetched by a messaging app, scanner or HEAD; not a click.');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    // Fifteen columns do not fit a phone (nor, with the conversation columns, every laptop):
    // the table scrolls in its own box, never the page. Bring the new columns into sight, as a person would.
    await page.locator('[aria-label="Report rows"] thead th', { hasText: 'Repeat calls' }).scrollIntoViewIfNeeded();
    await screenshot(page, `09-funnel-${name}`);

    // Deflections that stuck: 3 texts judged, A called again, B and C stuck, no window open.
    const stuck = page.locator('[data-section="stuck"]');
    await expect(stuck.isVisible()).resolves.toBe(true);
    expect(await stuckRow(page, 'support')).toEqual({
      Campaign: 'Support chat',
      'Window (days)': '7',
      'Texts judged': '3',
      'Called again': '1',
      Stuck: '2',
      'Stuck rate': '66.7%',
      'Window still open': '0',
    });
    await expect(stuck.textContent()).resolves.toContain('Only texts whose recontact window has fully passed are judged');
    await stuck.locator('thead th', { hasText: 'Stuck rate' }).scrollIntoViewIfNeeded();
    await screenshot(page, `10-stuck-${name}`);

    // Savings: the one call whose link was opened. Voice avoided 1.2 × 6.5 = 7.80; one chat
    // 2.50; three texts 3 × 0.0079 = 0.02; net 7.80 − 2.50 − 0.0237 = 5.28.
    const savings = page.locator('[data-section="savings"]');
    await expect(savings.isVisible()).resolves.toBe(true);
    const figure = async (key: string) => (await savings.locator(`[data-figure="${key}"]`).textContent())?.trim();
    expect([await figure('deflected'), await figure('voiceCostAvoided'), await figure('chatCost'), await figure('textCost'), await figure('net')]).toEqual([
      '1',
      '7.80',
      '2.50',
      '0.02',
      '5.28',
    ]);
    // Each figure's card fits inside the screen, the savings card too.
    const widest = await savings.evaluate((el) => Math.max(el.getBoundingClientRect().right, ...[...el.querySelectorAll('dl > div')].map((d) => d.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(width);
    await savings.scrollIntoViewIfNeeded();
    await screenshot(page, `11-savings-${name}`);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.context().close();
  }, 60_000);
});
