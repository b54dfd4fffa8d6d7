import fs from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, passwordHash, USER } from '../console/helpers';
import { describeIfChromium, launchChromium, listenOnLoopback, SCREENSHOT_DIR, signedInPage } from '../helpers/browser';
import { campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * The campaign form's prompt and key editors in Chromium, at laptop and phone width: a
 * person picks keys, writes a prompt with its audio, adds a part to another with the
 * script's "Add a part", and saves; the file holds what they wrote. The keys and the first
 * prompts are saved as screenshots (test-artifacts/screenshots/13-prompt-editors-*.png) for people to
 * look at, and the page must not widen past the screen.
 */

const AUDIO = 'https://cdn.example.com/prompts/offer.wav';

describeIfChromium('the prompt and key editors in Chromium')('the prompt and key editors in Chromium', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    server = startTestServer({ campaigns: [campaign()], env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash() } });
    ({ http, base } = await listenOnLoopback(server));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const fileOf = () => JSON.parse(fs.readFileSync(path.join(server.campaignsDir, 'support.json'), 'utf8')) as Record<string, unknown>;
  const overflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  it.each([
    ['laptop', 1280, 800, '5', '6'],
    ['phone', 390, 844, '7', '8'],
  ])('edits a prompt and a key at %s width and saves them', async (name, width, height, accept, decline) => {
    const page = await signedInPage(browser, base, { width, height }, { user: USER, password: PASSWORD });
    await page.goto(`${base}/admin/campaigns/support`);

    // The keys, then the default offer worded with them once saved.
    await page.selectOption('[id="keys.accept"]', accept);
    await page.selectOption('[id="keys.decline"]', decline);
    const offer = page.locator('[id="prompts.offer.0.text"]');
    await expect(offer.getAttribute('placeholder')).resolves.toMatch(/^To get a text message with a link to chat with us now, press \d\./);
    await offer.fill(`Press ${accept} for a text with a chat link, or ${decline} to stay on the line.`);
    await page.fill('[id="prompts.offer.0.audio"]', AUDIO);

    // readBack in two parts: the second added by the script.
    await page.fill('[id="prompts.readBack.0.text"]', 'You entered {number}.');
    await page.locator('[data-add-part="readBack"]').click();
    const second = page.locator('[id="prompts.readBack.1.text"]');
    await expect(page.evaluate<string>('document.activeElement.id')).resolves.toBe('prompts.readBack.1.text');
    await second.fill(`Press ${accept} if that is right.`);
    await page.fill('[id="prompts.readBack.1.audio"]', 'https://cdn.example.com/prompts/right.wav');

    expect(await overflow(page)).toBeLessThanOrEqual(0);
    // The section: from the keys to the end of the read-back prompt (boxes measured from the page's top).
    await page.evaluate('window.scrollTo(0, 0)');
    const top = await page.locator('#keys').boundingBox();
    const bottom = await page.locator('[data-prompt="readBack"]').boundingBox();
    if (!top || !bottom) throw new Error('the keys or the read-back prompt is not on the page');
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({
      path: path.join(SCREENSHOT_DIR, `13-prompt-editors-${name}.png`),
      fullPage: true,
      clip: { x: 0, y: Math.max(0, top.y - 8), width, height: bottom.y + bottom.height - top.y + 16 },
    });

    await page.click('button[type=submit].button-primary');
    await page.waitForURL(`${base}/admin/campaigns?saved=support`);
    expect(fileOf()).toMatchObject({
      keys: { accept, decline },
      prompts: {
        offer: { text: `Press ${accept} for a text with a chat link, or ${decline} to stay on the line.`, audio: AUDIO },
        readBack: ['You entered {number}.', { text: `Press ${accept} if that is right.`, audio: 'https://cdn.example.com/prompts/right.wav' }],
      },
    });

    // Opened again: a play link for the audio, and removing the added part by script saves one part.
    await page.goto(`${base}/admin/campaigns/support`);
    await expect(page.locator('[data-prompt="offer"] a[data-play]').getAttribute('href')).resolves.toBe(AUDIO);
    await page.locator('[data-prompt="readBack"] [data-part]').nth(1).locator('[data-remove-part]').click();
    await page.click('button[type=submit].button-primary');
    await page.waitForURL(`${base}/admin/campaigns?saved=support`);
    expect((fileOf().prompts as Record<string, unknown>).readBack).toBe('You entered {number}.');
    await page.context().close();
  });
});
