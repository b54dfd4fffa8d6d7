import fs from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, startConsole, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, screenshot } from '../helpers/browser';
import { EXAMPLE_CAMPAIGN_FILE, type TestServer } from '../helpers/server';

/**
 * A tester walks the campaign's paths on the simulator page in a real browser: accept
 * and confirm the caller ID, hang up with the prompts spoken, decline after a silence,
 * and key in a number for a withheld caller from the computer's keyboard. Screenshots at
 * desktop and phone width.
 */

const EXAMPLE_DNIS = '+1 (800) 555-0100';
const SMS = /^Example Co\.: chat with us now at (https:\/\/t\.example\.test\/s\/\w{8}) Reply STOP to opt out\.$/;

describeIfChromium('the call simulator in Chromium')('the call simulator in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startConsole();
    // The shipped example campaign, as a tester following the README would call it.
    await server.campaigns.remove('support');
    await server.campaigns.create(JSON.parse(fs.readFileSync(EXAMPLE_CAMPAIGN_FILE, 'utf8')));
    http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.goto(`${base}/admin/sign-in?next=%2Fadmin%2Fsimulator`);
    await page.fill('#user', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin/simulator`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const status = () => page.locator('#sim-status');
  const transcript = () => page.locator('#sim-transcript');
  const listening = () => page.waitForSelector('#sim-status:has-text("listening")');
  // Pressed keys light up for a moment: screenshots wait until none is lit.
  const settled = () => page.waitForSelector('.sim-key-pressed', { state: 'detached' });

  async function call(ani: string | 'Withheld'): Promise<void> {
    await page.selectOption('#sim-dnis', EXAMPLE_DNIS);
    if (ani === 'Withheld') await page.click('.sim-preset:has-text("Withheld")');
    else await page.fill('#sim-ani', ani);
    await page.click('#sim-call');
    await listening();
  }

  it('calls the campaign from a mobile, presses 1 and 1, and shows the text with its link', async () => {
    await expect(page.locator('#sim-call').isEnabled()).resolves.toBe(true);
    await expect(page.locator('.sim-key').first().isDisabled()).resolves.toBe(true);
    await call('+16175551234');
    await expect(page.textContent('#sim-prompt')).resolves.toMatch(/To get a text message .* press 1/);
    await expect(transcript().textContent()).resolves.toMatch(/GET\s*\/vxml\/start\?dnis=/);

    await page.click('.sim-key[data-key="1"]');
    await page.waitForSelector('#sim-prompt:has-text("ending in")');
    await listening();
    await page.click('.sim-key[data-key="1"]');
    await page.waitForSelector('#sim-status:has-text("Call ended")');

    await expect(transcript().textContent()).resolves.toContain("We've sent you a text. Goodbye.");
    await expect(status().textContent()).resolves.toMatch(/status=sent, reason=accepted/);
    const body = page.locator('.sim-sms-body');
    const text = (await body.textContent()) ?? '';
    expect(text).toMatch(SMS);
    await expect(body.locator('a').getAttribute('href')).resolves.toBe(SMS.exec(text)?.[1]);
    await expect(page.textContent('.sim-sms-meta')).resolves.toBe('To +16175551234 · sent · via sandbox');
    await expect(page.locator('.sim-key').first().isDisabled()).resolves.toBe(true);
    await settled();
    await screenshot(page, 'simulator-01-sent');
  });

  it('speaks the prompts when switched on, remembers that, and hangs up', async () => {
    // Headless Chromium has no voices: a stand-in records what would have been spoken.
    await page.addInitScript(
      "Object.defineProperty(window, 'speechSynthesis', { value: { spoken: [], speak(u) { this.spoken.push(u.text); }, cancel() {} } });",
    );
    await page.reload();
    await page.check('#sim-speak');
    await page.reload();
    await expect(page.isChecked('#sim-speak')).resolves.toBe(true);
    await call('+16175550001');
    await expect(page.evaluate('window.speechSynthesis.spoken')).resolves.toEqual([expect.stringMatching(/^To get a text message .* press 1/)]);
    await page.click('button[data-input="hangup"]');
    await page.waitForSelector('#sim-status:has-text("Call ended")');
    await expect(transcript().textContent()).resolves.toContain('hung up');
    await expect(status().textContent()).resolves.toMatch(/status=declined, reason=hung-up/);
    await page.uncheck('#sim-speak');
  });

  it('declines after a silence: no text', async () => {
    await call('+16175550002');
    await page.click('button[data-input="noinput"]');
    await page.waitForSelector('#sim-transcript :text("stayed silent")');
    await listening();
    await expect(transcript().textContent()).resolves.toContain("Sorry, I didn't hear anything.");
    await page.click('.sim-key[data-key="2"]');
    await page.waitForSelector('#sim-status:has-text("Call ended")');
    await expect(status().textContent()).resolves.toMatch(/status=declined, reason=caller-declined/);
    await expect(page.textContent('#sim-sms')).resolves.toContain('No text was sent on this call.');
    await settled();
    await screenshot(page, 'simulator-02-declined');
  });

  it('dials another number: the call is handed back at once', async () => {
    await page.selectOption('#sim-dnis', '');
    await page.fill('#sim-dnis-other', '+1 800 555 0999');
    await page.fill('#sim-ani', '+16175550003');
    await page.click('#sim-call');
    await page.waitForSelector('#sim-status:has-text("Call ended")');
    await expect(status().textContent()).resolves.toMatch(/status=unavailable, reason=unknown-dnis/);
  });

  it('lets a withheld caller key in a number on the keyboard, and fits a phone', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    page = await phone.newPage();
    await page.goto(`${base}/admin/simulator`);
    await call('Withheld');
    await page.click('.sim-key[data-key="1"]');
    await page.waitForSelector('#sim-prompt:has-text("enter your 10-digit mobile number")');
    await listening();
    // Keys are collected until # and shown as they are typed.
    await page.locator('#sim-transcript').focus();
    await page.keyboard.type('6175550123');
    await expect(page.textContent('#sim-keys')).resolves.toBe('6175550123');
    await page.keyboard.press('#');
    await page.waitForSelector('#sim-prompt:has-text("You entered")');
    await listening();
    await page.keyboard.press('1');
    await page.waitForSelector('#sim-status:has-text("Call ended")');
    await expect(page.textContent('.sim-sms-meta')).resolves.toBe('To +16175550123 · sent · via sandbox');

    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBe(0);
    await settled();
    await screenshot(page, 'simulator-03-phone');
    await phone.close();
  });
});
