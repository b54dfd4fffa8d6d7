import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, startConsole, USER } from '../console/helpers';
import { describeIfChromium, launchChromium } from '../helpers/browser';
import type { TestServer } from '../helpers/server';

/**
 * The Content-Security-Policy in a real browser: every console page and short-link page
 * loads its styles and scripts without one violation (Chromium reports each in the
 * console), and the scripts run.
 */

describeIfChromium('the security policy in Chromium')('the security policy in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    server = await startConsole();
    http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  it('breaks nothing on the console pages', async () => {
    await page.goto(`${base}/admin/sign-in`);
    await page.fill('#user', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin/campaigns`);
    for (const path of ['/admin/campaigns', '/admin/campaigns/new', '/admin/campaigns/support', '/admin/messages', '/admin/opt-outs', '/admin/reports', '/admin/simulator', '/admin/service']) {
      await page.goto(`${base}${path}`);
      await page.waitForLoadState('networkidle');
      // console.js ran: at phone width it shows the menu button the markup hides.
      await expect(page.isVisible('.nav-toggle')).resolves.toBe(true);
      // console.css applied: the header is laid out by the stylesheet, not the browser's defaults.
      const display = await page.evaluate<string>("getComputedStyle(document.querySelector('.site-header-inner')).display");
      expect(display).not.toBe('block');
    }
    expect(violations).toEqual([]);
  });

  it('breaks nothing on a short-link page, whose inline style is allowed by its hash', async () => {
    await page.goto(`${base}/s/AbCdEfGh`);
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(246, 247, 249)');
    expect(violations).toEqual([]);
  });
});
