import fs from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (the `chromium` package; .ci/run installs it)
 * through playwright-core. Where no Chromium is installed the tests are skipped with a
 * notice that cannot be missed, never passed silently.
 */

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => Boolean(p),
);
export const chromiumPath = CANDIDATES.find((p) => fs.existsSync(p));

export function describeIfChromium(name: string): jest.Describe {
  if (chromiumPath) return describe;
  process.stderr.write(
    `\n*** NOTICE: no Chromium found (${CANDIDATES.join(', ')}): the browser tests "${name}" are SKIPPED. ` +
      'Install it with `apt-get install -y chromium` or set CHROMIUM_PATH. ***\n\n',
  );
  return describe.skip;
}

export async function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Screenshots go to test-artifacts/screenshots/, kept by CI for people to look at. */
export const SCREENSHOT_DIR = path.resolve(__dirname, '../../test-artifacts/screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A page in a context of its own at this viewport, signed in to the console as the local admin. */
export async function signedInPage(
  browser: Browser,
  base: string,
  viewport: { width: number; height: number },
  credentials: { user: string; password: string },
): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${base}/admin/sign-in`);
  await page.fill('#user', credentials.user);
  await page.fill('#password', credentials.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/admin/campaigns`);
  return page;
}

/** Serves the app on a free loopback port, for a browser to open. */
export async function listenOnLoopback(app: { listen(port: number, host: string): HttpServer }): Promise<{ http: HttpServer; base: string }> {
  const http = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  return { http, base: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}
