import fs from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, passwordHash, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, listenOnLoopback, SCREENSHOT_DIR, signedInPage } from '../helpers/browser';
import { campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * The campaign form's limits, variants and availability editors in Chromium, with the
 * form's script: a limit row and a variant are added with their buttons, an availability
 * kind is chosen (only its fields show), and the save writes them. Screenshots of the three
 * sections at laptop and phone width go to test-artifacts/screenshots/ (14-campaign-*) for people to look at.
 */


describeIfChromium('the campaign form sections in Chromium')('the campaign form sections in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    server = startTestServer({
      // One campaign for each width, so neither test sees the other's save.
      campaigns: [
        campaign({ id: 'laptop', dnis: ['+1 800 555 0101'], variants: [{ id: 'control', weight: 2 }] }),
        campaign({ id: 'phone', dnis: ['+1 800 555 0102'], variants: [{ id: 'control', weight: 2 }] }),
      ],
      env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash(), CAMPAIGN_SECRET_LP_CLIENT_ID: 'x', CAMPAIGN_SECRET_LP_CLIENT_SECRET: 'y' },
    });
    ({ http, base } = await listenOnLoopback(server));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const overflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  const shot = async (page: Page, selector: string, name: string) => {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.locator(selector).screenshot({ path: path.join(SCREENSHOT_DIR, `14-${name}.png`) });
  };

  it.each([
    ['laptop', 1280, 800],
    ['phone', 390, 844],
  ])('adds a limit row and a variant, chooses LivePerson, and saves them at %s width', async (name, width, height) => {
    const page = await signedInPage(browser, base, { width, height }, { user: USER, password: PASSWORD });
    await page.goto(`${base}/admin/campaigns/${name}`);

    // With the script, the spare rows give way to Add buttons, and only the static kind's (no) fields show.
    const perCaller = page.locator('[data-rows="limits.perCaller"]');
    await expect(perCaller.locator('[data-row]').count()).resolves.toBe(1);
    await expect(page.locator('[data-kind="liveperson"]').isVisible()).resolves.toBe(false);
    await expect(page.locator('[data-kind="http"]').isVisible()).resolves.toBe(false);

    await perCaller.getByRole('button', { name: 'Add a limit' }).click();
    await perCaller.locator('[data-row]').nth(1).getByLabel('New row: most texts').fill('5');
    await perCaller.locator('[data-row]').nth(1).getByLabel('New row: within how long').fill('2');
    await perCaller.locator('[data-row]').nth(1).getByLabel('New row: unit').selectOption('hours');

    const variants = page.locator('[data-rows="variants"]');
    await expect(variants.locator('[data-share]').first().textContent()).resolves.toBe('every call');
    await variants.getByRole('button', { name: 'Add a variant' }).click();
    const added = variants.locator('[data-row]').nth(1);
    await added.getByLabel('Id').fill('short');
    // The shares follow the weights as they are typed: 2 and 1 make 2 calls in 3 and 1 in 3.
    await expect(added.locator('[data-share]').textContent()).resolves.toBe('1 call in 3');
    await expect(variants.locator('[data-share]').first().textContent()).resolves.toBe('2 calls in 3');
    await added.getByLabel('Offer prompt (optional)').fill('A text instead? Press 1.');

    await page.getByLabel('How to tell whether agents are there').selectOption('liveperson');
    await expect(page.locator('[data-kind="liveperson"]').isVisible()).resolves.toBe(true);
    await expect(page.locator('[data-kind="http"]').isVisible()).resolves.toBe(false);
    await page.getByLabel('Account id').fill('12345678');
    await page.getByLabel('Authentication').selectOption('app-jwt');
    await expect(page.locator('[data-auth="app-jwt"]').first().isVisible()).resolves.toBe(true);
    await expect(page.locator('[data-auth="api-key"]').first().isVisible()).resolves.toBe(false);

    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await shot(page, '#limits', `campaign-limits-${name}`);
    await shot(page, '#variants', `campaign-variants-${name}`);
    await shot(page, '#availability', `campaign-availability-${name}`);

    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/admin/campaigns\\?saved=${name}$`));
    const file = JSON.parse(fs.readFileSync(path.join(server.campaignsDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    expect(file.limits).toEqual({ perCaller: [{ max: 3, withinMinutes: 1440 }, { max: 5, withinMinutes: 120 }] });
    expect(file.variants).toEqual([{ id: 'control', weight: 2 }, { id: 'short', weight: 1, offer: 'A text instead? Press 1.' }]);
    expect(file.availability).toEqual({ kind: 'liveperson', accountId: '12345678', auth: { type: 'app-jwt' } });

    await page.context().close();
  });
});
