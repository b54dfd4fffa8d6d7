import type { Server as HttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, startConsole, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, screenshot, listenOnLoopback } from '../helpers/browser';
import type { TestServer } from '../helpers/server';

/**
 * The Audit page in Chromium at laptop and phone width: after a failed sign-in, a sign-in,
 * a campaign edit and the service switched off, an admin reads who did what, narrows it to
 * one action, and the page never gets wider than the screen (the table scrolls in its box).
 */

describeIfChromium('the Audit page in Chromium')('the Audit page in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    server = await startConsole();
    ({ http, base } = await listenOnLoopback(server));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  async function signedIn(width: number, height: number, password = PASSWORD): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
    await page.goto(`${base}/admin/sign-in`);
    await page.fill('#user', USER);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    return page;
  }

  const overflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  it('records what an admin does, shown at laptop and phone width', async () => {
    await (await signedIn(1280, 800, 'not the password')).context().close();
    const page = await signedIn(1280, 800);
    await page.waitForURL(`${base}/admin/campaigns`);
    await page.goto(`${base}/admin/campaigns/support`);
    await page.fill('#name', 'Support chat (weekend)');
    await page.click('text=Save changes');
    await page.waitForURL(/\/admin\/campaigns\?saved=support/);
    await page.goto(`${base}/admin/service`);
    await page.check('#understood');
    await page.click('text=Switch texting off');
    await page.waitForURL(`${base}/admin/service`);

    for (const [name, width, height] of [['laptop', 1280, 800], ['phone', 390, 844]] as const) {
      await page.setViewportSize({ width, height });
      await page.goto(`${base}/admin/audit`);
      await expect(page.textContent('main')).resolves.toContain('Chain verified: 4 entries');
      const actionsShown = (await page.locator('tbody tr td:nth-child(2)').allTextContents()).map((s) => s.trim());
      expect(actionsShown).toEqual(['service.switch', 'campaign.update', 'sign-in', 'sign-in.failed']);
      await expect(page.locator('tbody tr', { hasText: 'campaign.update' }).textContent()).resolves.toContain('/name: "Support chat" → "Support chat (weekend)"');
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, `11-audit-${name}`);
    }

    await page.fill('#action', 'sign-in');
    await page.click('text=Filter');
    await page.waitForURL(/action=sign-in/);
    expect((await page.locator('tbody tr td:nth-child(2)').allTextContents()).map((s) => s.trim())).toEqual(['sign-in', 'sign-in.failed']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download CSV')]);
    expect(download.suggestedFilename()).toBe('audit.csv');
  }, 90_000);
});
