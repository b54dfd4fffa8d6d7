import type { Server as HttpServer } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, startConsole, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, screenshot, listenOnLoopback } from '../helpers/browser';
import { IvrCaller } from '../helpers/ivr-caller';
import { PHONE_BROWSER, WHATSAPP_PREVIEW } from '../helpers/link-visitors';
import type { TestServer } from '../helpers/server';

/**
 * Issue 20 part 5's pages in a real browser, at laptop (1280×800) and phone (390×844)
 * width: the call page reached from a Messages row, the opt-out list (add, remove with a
 * reason), and the confirm step before a campaign is switched off. Each is saved as a
 * screenshot; on the phone nothing but the tables' own boxes may scroll sideways.
 */

describeIfChromium('the call, opt-out and confirm pages in Chromium')('the call, opt-out and confirm pages in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;
  let laptop: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startConsole();
    ({ http, base } = await listenOnLoopback(server));
    browser = await launchChromium();
    laptop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await laptop.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  it('signs in and opens a texted call from its Messages row: the whole trace, numbers masked', async () => {
    const caller = new IvrCaller(base);
    await caller.start({ dnis: '+1 800 555 0100', ani: '+16175551234' });
    await caller.press('1');
    await caller.press('1');
    const [message] = await server.store.listMessages({ limit: 1 });
    const code = /\/s\/(\w+)/.exec(message?.body ?? '')?.[1];
    await fetch(`${base}/s/${code}`, { redirect: 'manual', headers: WHATSAPP_PREVIEW });
    await fetch(`${base}/s/${code}`, { redirect: 'manual', headers: PHONE_BROWSER });

    await page.goto(`${base}/admin/sign-in`);
    await page.fill('#user', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin/campaigns`);
    await page.click('nav >> text=Messages');
    await page.click('tbody a[href^="/admin/calls/"]');
    await page.waitForURL(/\/admin\/calls\//);
    const labels = await page.locator('.trace-event strong').allTextContents();
    expect(labels[0]).toBe('Call started');
    expect(labels).toContain('Link clicked');
    expect(await page.textContent('main')).not.toContain('6175551234');
    await screenshot(page, 'i20-01-call');
  });

  it('adds a number to the opt-out list and takes one off with a reason', async () => {
    await server.store.suppress({ number: '+447700900123', keyword: 'STOP', source: 'whatsapp', channel: 'whatsapp', createdAt: '2026-11-21T09:00:00.000Z' });
    await page.click('nav >> text=Opt-outs');
    await page.fill('#add-number', '+1 617 555 0000');
    await page.fill('#add-reason', 'asked by e-mail, ticket 881');
    await page.click('text=Add to the list');
    await page.waitForSelector('text=is on the opt-out list for SMS');
    await page.goto(`${base}/admin/opt-outs`);
    await screenshot(page, 'i20-02-opt-outs');
    const row = page.locator('tr', { hasText: '+********0123' });
    await row.locator('input[name=reason]').fill('wrong number, caller asked by phone');
    await row.locator('button').click();
    await page.waitForSelector('text=was taken off the WhatsApp opt-out list');
    expect(await server.store.isSuppressed('+447700900123', 'whatsapp')).toBe(false);
  });

  it('asks before switching a campaign off', async () => {
    await page.click('nav >> text=Campaigns');
    await page.click('button[aria-label="Switch off Support chat"]');
    await page.waitForSelector('text=Cancel, keep it on');
    await screenshot(page, 'i20-03-campaign-off-confirm');
    await page.click('text=Cancel, keep it on');
    await page.waitForURL(`${base}/admin/campaigns`);
    expect(server.campaigns.get('support')?.active).toBe(true);
  });

  it('sets opening hours and a time zone in fields, not JSON', async () => {
    await page.goto(`${base}/admin/campaigns/support`);
    await page.fill('#timeZone', 'America/New_York');
    await page.check('[id="hours.enabled"]');
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri']) await page.fill(`[id="hours.${day}"]`, '09:00-17:00');
    await page.fill('[id="hours.closed"]', '2026-12-25');
    await page.fill('[id="hours.special"]', '2026-12-24 09:00-13:00');
    await page.locator('fieldset.hours').scrollIntoViewIfNeeded();
    await screenshot(page, 'i20-07-campaign-hours');
    await page.click('button:has-text("Save")');
    await page.waitForURL(`${base}/admin/campaigns?saved=support`);
    expect(server.campaigns.get('support')?.hours?.weekly.fri).toEqual(['09:00-17:00']);
  });

  it('fits a phone', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await laptop.storageState() });
    const small = await phone.newPage();
    const [message] = await server.store.listMessages({ limit: 1 });
    for (const [name, url] of [
      ['i20-04-phone-call', `/admin/calls/${message?.callId}`],
      ['i20-05-phone-opt-outs', '/admin/opt-outs'],
      ['i20-08-phone-campaign-hours', '/admin/campaigns/support'],
    ] as const) {
      await small.goto(`${base}${url}`);
      const overflow = await small.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect({ url, overflow }).toEqual({ url, overflow: 0 });
      await screenshot(small, name);
    }
    await small.goto(`${base}/admin/campaigns`);
    await small.click('button[aria-label="Switch off Support chat"]');
    await small.waitForSelector('text=Cancel, keep it on');
    expect(await small.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBe(0);
    await screenshot(small, 'i20-06-phone-campaign-off-confirm');
    await phone.close();
  });
});
