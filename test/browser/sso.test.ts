import type { Browser, Page } from 'playwright-core';
import { describeIfChromium, launchChromium, screenshot } from '../helpers/browser';
import { startSsoRig, type SsoRig } from '../console/oidc/harness';

/**
 * Single sign-on in a real browser against a real OpenID provider (oidc-provider, started
 * here): the button on our sign-in page, the provider's login and consent pages, and back
 * on the console signed in. The sign-in page is saved at laptop and phone width.
 */

describeIfChromium('single sign-on in Chromium')('single sign-on in Chromium', () => {
  let rig: SsoRig;
  let browser: Browser;

  beforeAll(async () => {
    rig = await startSsoRig();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  const sizes = [
    { name: 'laptop', viewport: { width: 1280, height: 800 } },
    { name: 'phone', viewport: { width: 390, height: 844 } },
  ];

  it.each(sizes)('shows "Sign in with Example SSO" beside the password form ($name width)', async ({ name, viewport }) => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${rig.base}/admin`);
    const button = page.locator('#sign-in-sso');
    await expect(button.textContent()).resolves.toBe('Sign in with Example SSO');
    await expect(button.isVisible()).resolves.toBe(true);
    await expect(page.locator('#password').isVisible()).resolves.toBe(true);
    // Nothing wider than the screen: the phone must not scroll sideways to reach the button.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBe(0);
    await screenshot(page, `sso-sign-in-${name}`);
    await context.close();
  });

  it('signs in through the provider\'s login form and lands on the console page it was going to', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    await page.goto(`${rig.base}/admin/reports`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await page.click('#sign-in-sso');
    // The provider's own pages (oidc-provider's development interactions).
    await page.waitForURL((url) => url.origin === rig.provider.issuer);
    await page.fill('input[name=login]', 'alice');
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${rig.base}/admin/reports`);
    await expect(page.locator('.signed-in-as').textContent()).resolves.toBe(`oidc:${new URL(rig.provider.issuer).host}:alice`);
    await screenshot(page, 'sso-signed-in');
    await context.close();
  });

  /** Signs in at the provider as `login` and lands on `path`. */
  async function signInAs(page: Page, login: string, path: string): Promise<void> {
    await page.goto(`${rig.base}${path}`);
    await page.click('#sign-in-sso');
    await page.waitForURL((url) => url.origin === rig.provider.issuer);
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${rig.base}${path}`);
  }

  it('gives a viewer (roles claim console-viewers) the campaigns with no buttons to change them, and refuses the opt-out list', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    await signInAs(page, 'victor', '/admin/campaigns');
    await expect(page.locator('table').textContent()).resolves.toContain('Support chat');
    await expect(page.locator('text=New campaign').count()).resolves.toBe(0);
    await expect(page.locator('button:has-text("Switch off")').count()).resolves.toBe(0);
    await expect(page.locator('nav a[href="/admin/opt-outs"]').count()).resolves.toBe(0);
    await screenshot(page, 'roles-viewer-campaigns');
    const refused = await page.goto(`${rig.base}/admin/opt-outs`);
    expect(refused?.status()).toBe(403);
    await expect(page.locator('main').textContent()).resolves.toContain('This needs the admin role');
    await context.close();
  });

  it('gives an admin (roles claim console-admins) the buttons and every page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    await signInAs(page, 'alice', '/admin/campaigns');
    await expect(page.locator('text=New campaign').count()).resolves.toBe(1);
    await expect(page.locator('nav a[href="/admin/opt-outs"]').count()).resolves.toBe(1);
    const optOuts = await page.goto(`${rig.base}/admin/opt-outs`);
    expect(optOuts?.status()).toBe(200);
    await context.close();
  });
});
