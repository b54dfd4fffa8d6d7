import type { Server as HttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, startConsole, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, listenOnLoopback, screenshot } from '../helpers/browser';
import type { TestServer } from '../helpers/server';

/**
 * The API tokens page in Chromium at laptop and phone width: an admin makes a token,
 * copies its secret with the button (the clipboard holds exactly the secret, which the API
 * then takes), revokes it after ticking the confirmation, and the page never gets wider
 * than the screen.
 */

describeIfChromium('the API tokens page in Chromium')('the API tokens page in Chromium', () => {
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

  async function signedIn(width: number, height: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await context.newPage();
    await page.goto(`${base}/admin/sign-in`);
    await page.fill('#user', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin/campaigns`);
    return page;
  }

  const overflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  const apiStatus = async (secret: string) => (await fetch(`${base}/api/messages`, { headers: { Authorization: `Bearer ${secret}` } })).status;

  it.each([
    ['laptop', 1280, 800],
    ['phone', 390, 844],
  ] as const)('makes, copies and revokes a token at %s width', async (name, width, height) => {
    const page = await signedIn(width, height);
    await page.goto(`${base}/admin/tokens`);
    await page.fill('#token-name', `reporting-${name}`);
    await page.selectOption('#token-role', 'viewer');
    await page.click('text=Make the token');
    await page.waitForSelector('#new-secret');

    const secret = await page.inputValue('#new-secret');
    expect(secret).toMatch(/^ivrd_[A-Za-z0-9_-]{43}$/);
    await page.click('text=Copy the secret');
    await page.waitForSelector('button[data-copy]:has-text("Copied")');
    await expect(page.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(secret);
    await expect(apiStatus(secret)).resolves.toBe(200);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, `12-tokens-created-${name}`);

    // Reloading the list never shows the secret again.
    await page.goto(`${base}/admin/tokens`);
    await expect(page.content()).resolves.not.toContain(secret);
    const row = page.locator(`tr[data-token="reporting-${name}"]`);
    await row.locator('input[type=checkbox]').check();
    await row.locator('button', { hasText: 'Revoke' }).click();
    await page.waitForURL(`${base}/admin/tokens?revoked=reporting-${name}`);
    await expect(page.locator(`tr[data-token="reporting-${name}"] .badge`).textContent()).resolves.toBe('revoked');
    await expect(apiStatus(secret)).resolves.toBe(401);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, `12-tokens-revoked-${name}`);
    await page.context().close();
  }, 90_000);
});
