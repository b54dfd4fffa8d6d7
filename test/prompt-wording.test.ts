import { DEFAULT_PROMPT_LANGUAGES, PROMPT_NAMES, defaultPromptsFor, type PromptWording } from '../src/campaigns/default-prompts';
import { mobileDigitsIn } from '../src/mobile-digits';
import { IvrCaller } from './helpers/ivr-caller';
import { campaign, startTestServer, type TestServer } from './helpers/server';

/**
 * Default prompts are worded for the campaign: they name its keys, and ask for as many
 * digits as a mobile number has in its country. Walked through the real app, so every
 * document on the way is also schema-checked by IvrCaller.
 */

const DNIS = 'tel:+18005550100';
const US_MOBILE = '+16175551234';
const KEYS_5_6 = { accept: '5', decline: '6', confirm: '5', change: '6' };

describe('mobile number length from the country', () => {
  it.each([
    ['US', 10],
    ['CA', 10],
    // 7400 123456 is keyed with its trunk prefix: 07400 123456.
    ['GB', 11],
    ['FR', 10],
    ['ES', 9],
    ['MX', 10],
    // India writes the trunk prefix as optional: the 10 digits people give are asked for.
    ['IN', 10],
  ] as const)('%s mobiles have %i digits', (country, digits) => {
    expect(mobileDigitsIn(country)).toBe(digits);
  });

  it.each(['DE', 'IT', 'AT', 'BR'] as const)('%s mobiles vary in length: no count', (country) => {
    expect(mobileDigitsIn(country)).toBeUndefined();
  });
});

describe('default prompts in every shipped language', () => {
  const wording: PromptWording = { keys: KEYS_5_6, mobileDigits: 11 };

  it.each(DEFAULT_PROMPT_LANGUAGES)('%s names the campaign keys, never the default ones', (language) => {
    const prompts = defaultPromptsFor(language, wording);
    expect(prompts).toBeDefined();
    for (const name of ['offer', 'confirmAni', 'readBack'] as const) {
      const text = prompts?.[name] ?? '';
      expect({ name, five: text.includes('5'), six: text.includes('6') }).toEqual({ name, five: true, six: true });
      expect({ name, text: /[12]/.test(text.replace(/\{\w+\}/g, '')) }).toEqual({ name, text: false });
    }
    // The number prompt gives the country's count, and none where it varies.
    expect(prompts?.enterNumber).toMatch(/\b11\b/);
    expect(defaultPromptsFor(language, { ...wording, mobileDigits: undefined })?.enterNumber).not.toMatch(/\d/);
    for (const name of PROMPT_NAMES) expect(prompts?.[name]).not.toMatch(/undefined|\$\{/);
  });

  it('say the star key by name', () => {
    const keys = { accept: '*', decline: '0', confirm: '1', change: '2' };
    expect(defaultPromptsFor('en-GB', { keys, mobileDigits: 11 })?.offer).toBe(
      'To get a text message with a link to chat with us now, press star. To stay on the line, press 0.',
    );
    expect(defaultPromptsFor('es-MX', { keys, mobileDigits: 10 })?.offer).toContain('oprima asterisco');
  });

  it('exist only for shipped languages (not for names that only look like one)', () => {
    expect(defaultPromptsFor('fr-FR', wording)).toBeUndefined();
    expect(defaultPromptsFor('constructor', wording)).toBeUndefined();
  });
});

describe('a campaign whose keys are 5 and 6', () => {
  let server: TestServer;
  beforeEach(() => {
    server = startTestServer({
      campaigns: [campaign({ keys: KEYS_5_6 }), campaign({ id: 'soporte', language: 'es-US', dnis: ['+1 800 555 0101'], keys: KEYS_5_6 })],
    });
  });
  afterEach(() => server.close());

  it('tells the caller to press 5 and 6, and 5 and 6 work', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: US_MOBILE });
    expect(caller.prompts()).toBe('To get a text message with a link to chat with us now, press 5. To stay on the line, press 6.');
    await caller.press('5');
    expect(caller.prompts()).toContain('Press 5 for yes, or 6 to use a different number.');
    await caller.press('6');
    expect(caller.prompts()).toBe('Please enter your 10-digit mobile number, then press pound.');
    await caller.press('4155550199#');
    expect(caller.prompts()).toBe("You entered 4155550199. Press 5 if that's right, or 6 to enter it again.");
    await caller.press('5');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******0199' });
  });

  it('says them in Spanish too', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: 'tel:+18005550101', ani: US_MOBILE });
    expect(caller.prompts()).toContain('oprima 5. Para permanecer en la línea, oprima 6.');
    await caller.press('5');
    expect(caller.prompts()).toContain('Oprima 5 para sí, o 6 para usar otro número.');
  });

  it('records the offer as the caller heard it, keys included (consent evidence)', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: US_MOBILE });
    const call = await server.store.getCall(callIdOf(caller));
    expect(call?.offerText).toBe('To get a text message with a link to chat with us now, press 5. To stay on the line, press 6.');
  });
});

function callIdOf(caller: IvrCaller): string {
  const call = caller.documents.map((d) => /[?&](?:amp;)?call=([^&"]+)/.exec(d)?.[1]).find(Boolean);
  if (!call) throw new Error('no call id in the documents');
  return call;
}

describe('a UK campaign', () => {
  let server: TestServer;
  beforeEach(() => {
    server = startTestServer({ campaigns: [campaign({ language: 'en-GB', country: 'GB', dnis: ['+44 20 7946 0100'] })] });
  });
  afterEach(() => server.close());

  it('asks for an 11-digit mobile number and reads all 11 back', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: 'tel:+442079460100', ani: '' });
    await caller.press('1');
    expect(caller.prompts()).toBe('Please enter your 11-digit mobile number, then press pound.');
    await caller.press('07400123456#');
    expect(caller.prompts()).toContain('You entered 07400123456.');
    expect(caller.spokenDigits()).toEqual(['07400123456']);
    await caller.press('1');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+********3456' });
  });
});

describe('the hang-up page', () => {
  let server: TestServer;
  beforeEach(() => {
    server = startTestServer();
  });
  afterEach(() => server.close());

  it('hands back with the result and queues no prompt', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: US_MOBILE });
    await caller.hangUp();
    expect(caller.xml).not.toContain('<prompt');
    expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'declined', reason: 'hung-up', maskedNumber: '' } });
    // A retried hang-up gets the same silent page.
    await caller.repeat();
    expect(caller.xml).not.toContain('<prompt');
  });

  it('is silent after a finished call too, and keeps its result', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: US_MOBILE });
    await caller.press('1');
    // The confirmation's hang-up URL, as a browser that held this document would post it.
    const hangUpUrl = /<catch event="connection\.disconnect\.hangup">\s*<submit next="([^"]+)"/.exec(caller.xml)?.[1];
    expect(hangUpUrl).toBeDefined();
    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    await caller.submit(`/vxml/${(hangUpUrl ?? '').replace(/&amp;/g, '&')}`, {});
    expect(caller.xml).not.toContain('<prompt');
    expect(caller.ending()).toEqual({ kind: 'disconnect', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' } });
  });

  it('still speaks when the browser gives up for no input (the caller is there)', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: US_MOBILE });
    await caller.giveUp('noinput');
    expect(caller.prompts()).toBe('Please stay on the line.');
  });
});
