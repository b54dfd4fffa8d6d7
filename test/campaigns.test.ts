import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROMPT_NAMES } from '../src/campaigns/default-prompts';
import { campaignJsonSchemaText } from '../src/campaigns/json-schema';
import pino from 'pino';
import { FileCampaignCatalog } from '../src/campaigns/file-catalog';
import { CampaignError, CampaignRegistry } from '../src/campaigns/registry';
import { CampaignSchema, type Campaign, type CampaignInput } from '../src/campaigns/schema';

/**
 * Campaign files are written by hand by whoever runs the IVR: every mistake must be
 * reported at start-up with the file and the field, all of them at once.
 */

const CAMPAIGNS_DIR = path.resolve(__dirname, '../campaigns');

const VALID: CampaignInput = {
  id: 'support',
  name: 'Support chat',
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?from={callerId}&call={callId}',
};

function campaign(overrides: Partial<CampaignInput> = {}): Campaign {
  return CampaignSchema.parse({ ...VALID, ...overrides });
}

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** A temporary campaigns folder holding the given files (objects are written as JSON). */
function folder(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'campaigns-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** The campaigns of a folder as the server loads them at start-up (no environment checks). */
function loadCampaignFiles(dir: string) {
  // Copies go to a temporary folder: the shipped campaigns folder stays as committed.
  const lastGoodDir = fs.mkdtempSync(path.join(os.tmpdir(), 'last-good-'));
  const catalog = FileCampaignCatalog.open({ dir, lastGoodDir, check: () => [], log: pino({ level: 'silent' }), watch: false });
  return catalog.all();
}

/** The problems loading dir reports; fails the test when it loads. */
function problemsOf(dir: string): string[] {
  try {
    loadCampaignFiles(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(CampaignError);
    return (err as CampaignError).problems;
  }
  throw new Error('the campaigns loaded');
}

function problemsOfCampaign(overrides: Record<string, unknown>): string[] {
  return problemsOf(folder({ 'bad.json': { ...VALID, ...overrides } }));
}

describe('the shipped example', () => {
  it('loads, with the defaults filled in', () => {
    const shipped = loadCampaignFiles(CAMPAIGNS_DIR);
    // Beside the example: the campaigns the shipped scenarios of a UK number, keys 5/6 and channels call.
    expect(shipped.map((c) => c.id).sort()).toEqual(['example-fallback', 'example-keys', 'example-support', 'example-uk', 'example-whatsapp']);
    const example = shipped.find((c) => c.id === 'example-support');
    expect(example).toMatchObject({
      id: 'example-support',
      active: true,
      language: 'en-US',
      country: 'US',
      keys: { accept: '1', decline: '2', confirm: '1', change: '2' },
      maxNumberAttempts: 3,
      maxRetries: 3,
      // Issue 19: a call back within 7 days of a text is a recontact.
      recontactDays: 7,
      timers: { noInputSeconds: 5, interDigitSeconds: 3 },
      prompts: {},
    });
  });

  it('is found by its DNIS in E.164', () => {
    const lookup = new CampaignRegistry(loadCampaignFiles(CAMPAIGNS_DIR)).resolve('+18005550100');
    expect(lookup.kind).toBe('found');
    expect(lookup.kind !== 'unknown' && lookup.campaign.id).toBe('example-support');
  });
});

describe('campaign.schema.json', () => {
  it('is the JSON Schema generated from the campaign format', () => {
    const committed = fs.readFileSync(path.join(CAMPAIGNS_DIR, 'campaign.schema.json'), 'utf8');
    if (committed !== campaignJsonSchemaText()) {
      throw new Error(
        'campaigns/campaign.schema.json is out of date with src/campaigns/schema.ts: run `npm run schema` and commit the result',
      );
    }
  });

  it('is not read as a campaign', () => {
    const dir = folder({ 'campaign.schema.json': campaignJsonSchemaText(), 'other.schema.json': '{ not json' });
    expect(loadCampaignFiles(dir)).toEqual([]);
  });

  it('only *.json files are read', () => {
    const dir = folder({ 'a.json': VALID, 'README.md': '# notes', 'b.json.bak': '{ broken' });
    expect(loadCampaignFiles(dir).map((c) => c.id)).toEqual(['support']);
  });
});

describe('invalid campaigns are reported with file name and field path', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a message without {link}', { message: 'Chat with us now' }, 'bad.json: message: must contain {link}'],
    ['a recontact window of no days', { recontactDays: 0 }, 'bad.json: recontactDays: Too small: expected number to be >=1'],
    ['a recontact window past 90 days', { recontactDays: 91 }, 'bad.json: recontactDays: Too big: expected number to be <=90'],
    ['a recontact window of part days', { recontactDays: 1.5 }, 'bad.json: recontactDays: Invalid input: expected int, received number'],
    ['a message with another placeholder', { message: '{link} {name}' }, 'bad.json: message: may only use the placeholder {link}'],
    [
      'an unknown placeholder in the link',
      { link: 'https://chat.example.com/?who={customer}' },
      'bad.json: link: may only use the placeholders {callerId}, {mobile}, {dnis}, {callId}, {campaignId}',
    ],
    [
      'a link that is not http(s)',
      { link: 'ftp://chat.example.com/{callId}' },
      'bad.json: link: must be an absolute http(s) URL once its placeholders are filled',
    ],
    [
      'a relative link',
      { link: '/start?call={callId}' },
      'bad.json: link: must be an absolute http(s) URL once its placeholders are filled',
    ],
    ['an id with capitals', { id: 'Support' }, 'bad.json: id: must be lowercase letters, digits and dashes (at most 63)'],
    ['an id starting with a dash', { id: '-support' }, 'bad.json: id: must be lowercase letters, digits and dashes'],
    ['an id of 64 characters', { id: 'a'.repeat(64) }, 'bad.json: id: must be lowercase letters, digits and dashes'],
    ['a language that is not a BCP-47 tag', { language: 'english!' }, 'bad.json: language: must be a BCP-47 language tag'],
    ['an unknown country', { country: 'XX' }, 'bad.json: country: must be an ISO 3166-1 alpha-2 country code'],
    ['an unknown top-level key', { dnis_list: ['1'] }, 'bad.json: (file): Unrecognized key: "dnis_list"'],
    ['an unknown prompt name', { prompts: { welcome: 'Hi' } }, 'bad.json: prompts: Unrecognized key: "welcome"'],
    ['an unknown key in keys', { keys: { accept: '1', help: '0' } }, 'bad.json: keys: Unrecognized key: "help"'],
    [
      'an unknown key in an end action',
      { onSent: { action: 'hangup', url: 'https://ivr.example.com/' } },
      'bad.json: onSent: Unrecognized key: "url"',
    ],
    [
      'a prompt with an unknown placeholder',
      { prompts: { readBack: 'You entered {digits}.' } },
      'bad.json: prompts.readBack: unknown placeholder {digits}; allowed: {number}',
    ],
    [
      'a placeholder in a prompt that takes none',
      { prompts: { offer: ['Press 1.', { text: 'Your number ends in {lastFour}' }] } },
      'bad.json: prompts.offer: unknown placeholder {lastFour}',
    ],
    ['the same key for accept and decline', { keys: { accept: '5', decline: '5' } }, 'bad.json: keys.decline: accept and decline must differ'],
    ['the same key for confirm and change', { keys: { confirm: '*', change: '*' } }, 'bad.json: keys.change: confirm and change must differ'],
    ['a key that is not DTMF', { keys: { accept: '#' } }, 'bad.json: keys.accept: must be one DTMF key: 0-9 or *'],
    ['an empty dnis list', { dnis: [] }, 'bad.json: dnis: '],
    ['a goto without url', { onHandBack: { action: 'goto' } }, 'bad.json: onHandBack.url: '],
    [
      'a goto to a non-http url',
      { onSent: { action: 'goto', url: 'javascript:alert(1)' } },
      'bad.json: onSent.url: must be an absolute http(s) URL',
    ],
    [
      'a prompt audio that is not http(s)',
      { prompts: { offer: { text: 'Press 1', audio: 'file:///etc/passwd' } } },
      'bad.json: prompts.offer.audio: must be an absolute http(s) URL',
    ],
    ['maxRetries out of range', { maxRetries: 9 }, 'bad.json: maxRetries: '],
    ['a no-input timer of 30-second-default length plus one', { timers: { noInputSeconds: 31 } }, 'bad.json: timers.noInputSeconds: '],
    ['a zero inter-digit timer', { timers: { interDigitSeconds: 0 } }, 'bad.json: timers.interDigitSeconds: '],
    ['a timer in milliseconds by mistake', { timers: { noInputSeconds: 1.5 } }, 'bad.json: timers.noInputSeconds: '],
    ['an unknown timer', { timers: { noInput: 5 } }, 'bad.json: timers: '],
    // These parse as URLs but are not xsd:anyURI: a browser would refuse the document.
    [
      'an audio URL with brackets',
      { prompts: { offer: { text: 'Press 1', audio: 'https://cdn.example.com/offer[1].wav' } } },
      'bad.json: prompts.offer.audio: must not contain spaces, brackets or a "%" that is not an escape',
    ],
    [
      'a return URL with a bare %',
      { onHandBack: { action: 'goto', url: 'https://ivr.example.com/q?discount=50%' } },
      'bad.json: onHandBack.url: must not contain spaces, brackets',
    ],
  ])('%s', (_title, overrides, expected) => {
    const problems = problemsOfCampaign(overrides);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    for (const problem of problems) expect(problem.startsWith('bad.json: ')).toBe(true);
  });

  it('a missing required field is named', () => {
    const { message: _omitted, ...withoutMessage } = VALID;
    expect(problemsOf(folder({ 'bad.json': withoutMessage }))).toEqual([expect.stringMatching(/^bad\.json: message: /)]);
  });

  it('a language without default prompts lists every missing prompt', () => {
    const problems = problemsOfCampaign({ language: 'de-DE', prompts: { offer: 'Drücken Sie die 1.' } });
    const missing = PROMPT_NAMES.filter((name) => name !== 'offer');
    expect(problems).toEqual(
      missing.map((name) => `bad.json: prompts.${name}: is required: there are no default prompts for language de-DE`),
    );
  });

  it('a language without default prompts loads when every prompt is given', () => {
    const prompts = Object.fromEntries(
      PROMPT_NAMES.map((name) => [
        name,
        name === 'confirmAni' ? 'Endet auf {lastFour}.' : name === 'readBack' ? 'Sie haben {number} eingegeben.' : `Text ${name}`,
      ]),
    );
    const [loaded] = loadCampaignFiles(folder({ 'de.json': { ...VALID, language: 'de-DE', prompts } }));
    expect(loaded?.language).toBe('de-DE');
    expect(loaded?.prompts.readBack).toBe('Sie haben {number} eingegeben.');
  });

  it('a regional variant of a language with defaults needs no prompts', () => {
    expect(campaign({ language: 'es-MX' }).language).toBe('es-MX');
  });

  it('a lowercase country is accepted and stored in capitals', () => {
    expect(campaign({ country: 'gb' }).country).toBe('GB');
  });

  it('every bad file is reported at once, in file order', () => {
    const dir = folder({
      'b-bad.json': { ...VALID, id: 'B', message: 'no link' },
      'c-broken.json': '{ "id": "c", ',
      'd-bad.json': { ...VALID, id: 'd', country: 'ZZ' },
    });
    const problems = problemsOf(dir);
    expect(problems).toEqual([
      'b-bad.json: id: must be lowercase letters, digits and dashes (at most 63)',
      'b-bad.json: message: must contain {link}',
      expect.stringMatching(/^c-broken\.json: not valid JSON \(/),
      'd-bad.json: country: must be an ISO 3166-1 alpha-2 country code such as US',
    ]);
  });

  it('a good file among bad ones serves, and the bad ones are listed as not in service', () => {
    const dir = folder({ 'a-good.json': VALID, 'b-bad.json': { ...VALID, id: 'b', message: 'no link' }, 'c-broken.json': '{ "id": "c", ' });
    const catalog = FileCampaignCatalog.open({ dir, check: () => [], log: pino({ level: 'silent' }), watch: false });
    expect(catalog.all().map((c) => c.id)).toEqual([VALID.id]);
    expect(catalog.fileProblems()).toEqual([
      { file: 'b-bad.json', problems: ['b-bad.json: message: must contain {link}'] },
      { file: 'c-broken.json', problems: [expect.stringMatching(/^c-broken\.json: not valid JSON \(/)] },
    ]);
  });

  it('the thrown error lists every problem in its message', () => {
    const dir = folder({ 'x.json': { ...VALID, message: 'none' }, 'y.json': 'not json' });
    expect(() => loadCampaignFiles(dir)).toThrow(/x\.json: message: must contain \{link\}\n {2}y\.json: not valid JSON/);
  });

  it('a file that is not JSON is reported as such', () => {
    expect(problemsOf(folder({ 'notes.json': 'id: support' }))).toEqual([
      expect.stringMatching(/^notes\.json: not valid JSON \(.+\)$/),
    ]);
  });

  it('a missing campaigns folder is reported with its path', () => {
    const missing = path.join(os.tmpdir(), 'no-such-campaigns-folder-for-tests');
    expect(problemsOf(missing)).toEqual([expect.stringContaining(`${missing}: cannot read the campaigns folder`)]);
  });
});

describe('CampaignRegistry', () => {
  const us = campaign({ id: 'us', dnis: ['+1 (800) 555-0100', 'tel:617-555-0199', '4001'] });
  const registry = new CampaignRegistry([us]);

  function resolvedId(reg: CampaignRegistry, raw: string): string | undefined {
    const lookup = reg.resolve(raw);
    return lookup.kind === 'found' ? lookup.campaign.id : undefined;
  }

  it.each([
    '+18005550100',
    '8005550100',
    '18005550100',
    '(800) 555-0100',
    'tel:+18005550100',
    'tel:+1-800-555-0100',
    'sip:+18005550100@gw.example.com;user=phone',
    'sip:8005550100@10.0.0.1:5060',
    'sip:%2B18005550100@gw.example.com',
  ])('resolves the DNIS %j', (raw) => {
    expect(resolvedId(registry, raw)).toBe('us');
  });

  it('indexes DNIS given in any format in the campaign file', () => {
    expect(resolvedId(registry, '+16175550199')).toBe('us');
    expect(resolvedId(registry, '6175550199')).toBe('us');
  });

  it('resolves short internal numbers by their digits', () => {
    expect(resolvedId(registry, '4001')).toBe('us');
    expect(resolvedId(registry, 'sip:4001@pbx.example.com')).toBe('us');
  });

  it('answers unknown for other numbers, withheld or empty DNIS', () => {
    for (const raw of ['+18005550101', '9999', '', 'anonymous', 'sip:anonymous@anonymous.invalid']) {
      expect(registry.resolve(raw)).toEqual({ kind: 'unknown' });
    }
  });

  it('finds campaigns by id and lists them all', () => {
    expect(registry.get('us')).toBe(us);
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.all()).toEqual([us]);
  });

  it('refuses two active campaigns sharing a DNIS, even written differently', () => {
    const a = campaign({ id: 'a', dnis: ['+16175550100'] });
    const b = campaign({ id: 'b', dnis: ['(617) 555-0100'] });
    expect(() => new CampaignRegistry([a, b])).toThrow(CampaignError);
    expect(() => new CampaignRegistry([a, b])).toThrow(
      'dnis +16175550100 belongs to more than one active campaign: a, b',
    );
  });

  it('lets an active and an inactive campaign share a DNIS, and resolves to the active one', () => {
    const old = campaign({ id: 'old', active: false, dnis: ['+16175550100'] });
    const current = campaign({ id: 'current', dnis: ['617-555-0100'] });
    for (const order of [
      [old, current],
      [current, old],
    ]) {
      const lookup = new CampaignRegistry(order).resolve('tel:+16175550100');
      expect(lookup).toEqual({ kind: 'found', campaign: current });
    }
  });

  it('resolves a DNIS of inactive campaigns only as inactive, with the campaign', () => {
    const old = campaign({ id: 'old', active: false, dnis: ['+16175550100'] });
    expect(new CampaignRegistry([old]).resolve('6175550100')).toEqual({ kind: 'inactive', campaign: old });
  });

  it('refuses two campaigns with the same id', () => {
    const a = campaign({ id: 'same', dnis: ['+16175550100'] });
    const b = campaign({ id: 'same', dnis: ['+16175550111'] });
    expect(() => new CampaignRegistry([a, b])).toThrow('same: id is used by more than one campaign');
  });

  it('refuses a DNIS without digits', () => {
    expect(() => new CampaignRegistry([campaign({ dnis: ['main line'] })])).toThrow('dnis "main line" has no digits');
  });

  describe('a campaign in GB with a national DNIS', () => {
    const gb = campaign({ id: 'london', country: 'GB', dnis: ['020 7946 0000'] });

    it.each(['+442079460000', '02079460000', 'tel:+44-20-7946-0000', 'sip:+442079460000@gw.example.com;user=phone'])(
      'resolves from %j',
      (raw) => {
        expect(resolvedId(new CampaignRegistry([gb]), raw)).toBe('london');
      },
    );

    it('resolves beside a US campaign, national numbers being read in each country', () => {
      const both = new CampaignRegistry([us, gb]);
      expect(resolvedId(both, '02079460000')).toBe('london');
      expect(resolvedId(both, '+442079460000')).toBe('london');
      expect(resolvedId(both, '8005550100')).toBe('us');
    });

    it('is not found by the same digits under another country code', () => {
      expect(new CampaignRegistry([gb]).resolve('+12079460000')).toEqual({ kind: 'unknown' });
    });
  });
});
