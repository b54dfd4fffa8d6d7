import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, startConsole, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, screenshot } from '../helpers/browser';
import { IvrCaller } from '../helpers/ivr-caller';
import type { TestServer } from '../helpers/server';
import { PHONE_BROWSER } from '../helpers/link-visitors';

/**
 * An admin's first session, in a real browser against the real server: sign in, create a
 * campaign for a new number, see the IVR served it, read calls turn into texts and clicks
 * in the report, switch the campaign off. Each page is saved as a screenshot.
 */

const NEW_DNIS = '+1 800 555 0199';

describeIfChromium('the console in Chromium')('the console in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startConsole();
    http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  async function call(dnis: string, keys: string[] = []): Promise<IvrCaller> {
    const caller = new IvrCaller(base);
    await caller.start({ dnis, ani: `+1617555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}` });
    for (const key of keys) await caller.press(key);
    return caller;
  }

  it('sends a signed-out admin to the sign-in page and signs in', async () => {
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await screenshot(page, '01-sign-in');
    await page.fill('#user', USER);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.textContent('main')).resolves.toMatch(/wrong user name or password/i);
    await page.fill('#user', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin/campaigns`);
    await expect(page.textContent('main')).resolves.toContain('Support chat');
    await screenshot(page, '02-campaigns');
  });

  it('creates a campaign with a live SMS preview, and the IVR serves it for its number', async () => {
    expect((await call(NEW_DNIS)).isQuestion()).toBe(false);
    await page.click('text=New campaign');
    await page.waitForURL(`${base}/admin/campaigns/new`);
    await page.fill('#id', 'sales');
    await page.fill('#name', 'Sales chat');
    await page.fill('#dnis', NEW_DNIS);
    await page.fill('#link', 'https://chat.example.com/sales?c={callId}');
    await page.fill('#message', '');
    await page.type('#message', 'Sales: chat with us at {link} – reply STOP to opt out');
    // The en dash is outside GSM-7: the preview must say UCS-2 as the text is typed.
    await page.waitForSelector('[data-preview-counts]:has-text("UCS-2")');
    await expect(page.textContent('[data-preview-text]')).resolves.toMatch(/^Sales: chat with us at https?:\/\/\S+\/s\/\w{8} – reply STOP/);
    await screenshot(page, '03-campaign-new');
    await page.fill('#message', 'Sales: chat with us at {link} Reply STOP to opt out');
    await page.waitForSelector('[data-preview-counts]:has-text("GSM-7")');
    await page.click('text=Create campaign');
    await page.waitForURL(`${base}/admin/campaigns?saved=sales`);
    await expect(page.textContent('main')).resolves.toContain('Saved “Sales chat”');
    expect((await call(NEW_DNIS)).isQuestion()).toBe(true);
  });

  it('shows scripted calls as texts and clicks in the report', async () => {
    const texted = [await call(NEW_DNIS, ['1', '1']), await call(NEW_DNIS, ['1', '1'])];
    await call(NEW_DNIS, ['2']);
    for (const caller of texted) expect(caller.ending().result.status).toBe('sent');
    // One caller opens the link from the text.
    const [message] = await server.store.listMessages({ limit: 1, campaignId: 'sales' });
    const link = /https?:\/\/\S+\/s\/(\w+)/.exec(message?.body ?? '')?.[1];
    expect((await fetch(`${base}/s/${link}`, { redirect: 'manual', headers: PHONE_BROWSER })).status).toBe(302);

    await page.click('nav >> text=Reports');
    await page.waitForURL(/\/admin\/reports/);
    await page.selectOption('#campaign', 'sales');
    await page.click('text=Show report');
    await page.waitForURL(/campaign=sales/);
    const figure = async (name: string) => (await page.textContent(`[data-figure="${name}"]`))?.trim();
    // Four calls to the campaign: the first, that only checked the offer, and the three scripted ones.
    expect(await figure('calls')).toBe('4');
    expect(await figure('offered')).toBe('4');
    expect(await figure('accepted')).toBe('2');
    expect(await figure('textsSent')).toBe('2');
    expect(await figure('linksClicked')).toBe('1');
    await expect(page.locator('svg[role="img"]').first().isVisible()).resolves.toBe(true);
    await screenshot(page, '04-reports');
  });

  it('switches the campaign off: the next call is handed back', async () => {
    await page.click('nav >> text=Campaigns');
    await page.click('button[aria-label="Switch off Sales chat"]');
    // A confirm step first: the next call is still offered until the admin says yes.
    await page.waitForSelector('text=Cancel, keep it on');
    expect((await call(NEW_DNIS)).isQuestion()).toBe(true);
    await screenshot(page, '05a-campaign-off-confirm');
    await page.click('button:has-text("Switch off Sales chat")');
    await page.waitForURL(`${base}/admin/campaigns`);
    await expect(page.locator('tr', { hasText: 'Sales chat' }).locator('.badge').textContent()).resolves.toBe('off');
    const caller = await call(NEW_DNIS);
    expect(caller.isQuestion()).toBe(false);
    expect(caller.ending().result.status).toBe('unavailable');
    await screenshot(page, '05-campaign-off');
  });

  it('shows the messages and service pages, and every page fits a phone', async () => {
    await page.click('nav >> text=Messages');
    await expect(page.textContent('main')).resolves.toMatch(/\+\*+\d{4}/);
    await screenshot(page, '06-messages');
    await page.click('nav >> text=Service');
    await screenshot(page, '07-service');

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    const small = await phone.newPage();
    for (const [name, url] of [
      ['08-phone-campaigns', '/admin/campaigns'],
      ['09-phone-campaign-edit', '/admin/campaigns/sales'],
      ['10-phone-reports', '/admin/reports?campaign=sales'],
      ['11-phone-messages', '/admin/messages'],
    ] as const) {
      await small.goto(`${base}${url}`);
      // Nothing but the tables' own scrolling boxes may be wider than the phone.
      const overflow = await small.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect({ url, overflow }).toEqual({ url, overflow: 0 });
      await screenshot(small, name);
    }
    await phone.close();
  });
});
