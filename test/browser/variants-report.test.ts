import type { Server as HttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { PASSWORD, passwordHash, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, screenshot, signedInPage, listenOnLoopback } from '../helpers/browser';
import { IvrCaller } from '../helpers/ivr-caller';
import { campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * The Reports page's Variants table and Savings card in Chromium, at laptop and phone
 * width, after real calls split across two offer variants: the table scrolls in its own
 * box instead of widening the page, and both widths are saved as screenshots
 * (test-artifacts/screenshots/08-variants-*.png).
 */

const DNIS = '+18005550100';
const PHONE = {
  'User-Agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

describeIfChromium('the Variants report in Chromium')('the Variants report in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;
  let draw = 0.25;

  beforeAll(async () => {
    server = startTestServer({
      campaigns: [campaign({ variants: [{ id: 'plain', weight: 1 }, { id: 'skip-queue', weight: 1, message: 'Skip the queue: {link}' }] })],
      env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash(), PUMPING_MAX_PER_RANGE: '1000' },
      now: () => new Date('2026-11-24T20:00:00Z'),
      random: () => draw,
    });
    // plain: 1 of 6 opens the link; skip-queue: 5 of 6.
    let n = 0;
    for (const [variant, accepted, declined] of [[0.25, 1, 5], [0.75, 5, 1]] as const) {
      draw = variant;
      for (let i = 0; i < accepted + declined; i++) {
        n += 1;
        const ani = `+1617555${2000 + n}`;
        const ivr = new IvrCaller(server.app);
        await ivr.start({ dnis: DNIS, ani, callid: `cvp-${n}` });
        if (i >= accepted) {
          await ivr.press('2');
          continue;
        }
        await ivr.press('1');
        await ivr.press('1');
        const sent = (await server.store.listMessages({ limit: 100 })).find((m) => m.to === ani);
        const code = /\/s\/(\w+)/.exec(sent?.body ?? '')?.[1];
        expect((await request(server.app).get(`/s/${code}`).set(PHONE)).status).toBe(302);
      }
    }
    ({ http, base } = await listenOnLoopback(server));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const signedIn = (width: number, height: number): Promise<Page> => signedInPage(browser, base, { width, height }, { user: USER, password: PASSWORD });

  it.each([
    ['laptop', 1280, 860],
    ['phone', 390, 844],
  ])('shows the variants, the verdict and the savings at %s width without widening the page', async (name, width, height) => {
    const page = await signedIn(width, height);
    await page.goto(`${base}/admin/reports?from=2026-11-24&to=2026-11-24&timeZone=UTC&voiceMinute=1.2&handleMinutes=6.5&chat=2.5&text=0.0079`);
    const verdict = (await page.textContent('[data-verdict="support/skip-queue"]'))?.replace(/\s+/g, ' ').trim();
    // 1/6 vs 5/6: pooled 0.5, z = 0.6667 / sqrt(0.25 · 2/6) = 2.3094, p = 0.0209 (R: prop.test(c(1, 5), c(6, 6), correct = FALSE)).
    expect(verdict).toBe('Support chat, skip-queue against plain (clicked of offered): skip-queue wins (p = 0.0209).');
    expect((await page.textContent('[data-figure="deflected"]'))?.trim()).toBe('6');
    await expect(page.locator('[data-section="variants"] table').isVisible()).resolves.toBe(true);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.locator('[data-section="variants"]').scrollIntoViewIfNeeded();
    await screenshot(page, `08-variants-${name}`);
    await page.context().close();
  }, 60_000);
});
