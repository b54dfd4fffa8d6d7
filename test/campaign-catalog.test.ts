import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { writeFileAtomic } from '../src/campaigns/atomic-write';
import type { CampaignCheck, SaveResult } from '../src/campaigns/catalog';
import { FileCampaignCatalog, type FileCampaignCatalogOptions } from '../src/campaigns/file-catalog';
import { CampaignError } from '../src/campaigns/registry';

/**
 * The campaigns folder is edited two ways at once: through the catalog (admin API and
 * console) and by hand. Both must end up in the files, and whatever is in a file must be
 * what callers get, or the last good version while the file is broken.
 */

const SUPPORT = {
  $schema: './campaign.schema.json',
  id: 'support',
  name: 'Support chat',
  active: true,
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?from={callerId}',
};

const SALES = {
  id: 'sales',
  name: 'Sales chat',
  dnis: ['+16175550200'],
  message: 'Talk to sales: {link}',
  link: 'https://chat.example.com/sales?from={callerId}',
};

/** The environment in these tests configures neither Twilio nor Vonage; checks word problems as compose does. */
const check: CampaignCheck = (c) =>
  c.gateway === 'twilio' ? ['gateway: twilio is not configured'] : c.gateway === 'vonage' ? ['no Vonage credentials'] : [];

let dirs: string[] = [];
let catalogs: FileCampaignCatalog[] = [];
afterEach(() => {
  for (const catalog of catalogs) catalog.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  catalogs = [];
  dirs = [];
});

/** A temporary campaigns folder holding the given files (objects are written as JSON). */
function folder(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeHand(dir, name, content);
  return dir;
}

/** Writes a file the way a person does, in place. */
function writeHand(dir: string, name: string, content: unknown): void {
  fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

type LogLine = { level: number; msg: string; campaign?: string; action?: string; source?: string; file?: string };

function open(dir: string, options: Partial<FileCampaignCatalogOptions> = {}) {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  const catalog = FileCampaignCatalog.open({ dir, check, log, watch: false, ...options });
  catalogs.push(catalog);
  return { catalog, lines };
}

/** What the folder holds besides the last good copies' folder (checked on its own). */
function campaignFolder(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name !== '.last-good');
}

function textOf(dir: string, name: string): string {
  return fs.readFileSync(path.join(dir, name), 'utf8');
}

function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function saved(result: SaveResult) {
  if (result.kind !== 'saved') throw new Error(`expected saved, got ${JSON.stringify(result)}`);
  return result.entry;
}

function startupProblems(dir: string): string[] {
  try {
    open(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(CampaignError);
    return (err as CampaignError).problems;
  }
  throw new Error('the catalog opened');
}

async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('opening the folder', () => {
  it('serves every file, each with its document as written, its campaign with defaults and its content hash', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales-line.json': SALES, 'campaign.schema.json': { type: 'object' } });
    const { catalog } = open(dir);

    expect(catalog.entries().map((e) => [e.file, e.id])).toEqual([
      ['sales-line.json', 'sales'],
      ['support.json', 'support'],
    ]);
    const sales = catalog.entry('sales');
    expect(sales?.document).toEqual(SALES);
    expect(sales?.campaign.language).toBe('en-US');
    expect(sales?.version).toBe(versionOf(textOf(dir, 'sales-line.json')));
    expect(sales?.problems).toEqual([]);
    expect(catalog.resolve('tel:+16175550200')).toMatchObject({ kind: 'found', campaign: { id: 'sales' } });
    expect(catalog.all().map((c) => c.id)).toEqual(['sales', 'support']);
    expect(catalog.fileProblems()).toEqual([]);
  });

  it('starts with the valid files when others are invalid, naming each invalid file and field', () => {
    const dir = folder({
      'support.json': SUPPORT,
      'broken.json': '{ "id": ',
      'sales.json': { ...SALES, dnis: [''], colour: 'blue' },
    });
    const { catalog, lines } = open(dir);

    expect(catalog.all().map((c) => c.id)).toEqual(['support']);
    expect(catalog.resolve('+16175550200')).toEqual({ kind: 'unknown' });
    const problems = catalog.fileProblems();
    expect(problems.map((p) => p.file)).toEqual(['broken.json', 'sales.json']);
    expect(problems[0]?.problems).toEqual([expect.stringMatching(/^broken\.json: not valid JSON/)]);
    expect(problems[1]?.problems).toContain('sales.json: dnis.0: Too small: expected string to have >=1 characters');
    expect(problems[1]?.problems.some((p) => p.includes('colour'))).toBe(true);
    // One error line per invalid file, naming it.
    expect(lines.filter((l) => l.level === 50).map((l) => l.file)).toEqual(['broken.json', 'sales.json']);
  });

  it('refuses to start when every file is invalid and none has a last good copy', () => {
    const dir = folder({ 'broken.json': '{ "id": ', 'sales.json': { ...SALES, message: 'no link' } });
    expect(startupProblems(dir)).toEqual([expect.stringMatching(/^broken\.json: not valid JSON/), 'sales.json: message: must contain {link}']);
  });

  it('refuses to start when the environment check fails, naming the file', () => {
    const dir = folder({ 'support.json': { ...SUPPORT, gateway: 'twilio' } });
    expect(startupProblems(dir)).toEqual(['support.json: gateway: twilio is not configured']);
  });

  it('a clash without last good copies: the file first by name serves, the later ones are reported', () => {
    const dir = folder({
      'a.json': SUPPORT,
      'b.json': { ...SALES, dnis: ['(617) 555-0100'] },
      'c.json': { ...SALES, id: 'support', dnis: ['+16175550300'] },
    });
    const { catalog } = open(dir);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { id: 'support', name: 'Support chat' } });
    expect(catalog.resolve('+16175550300')).toEqual({ kind: 'unknown' });
    const problems = catalog.fileProblems();
    expect(problems.map((p) => p.file)).toEqual(['b.json', 'c.json']);
    expect(problems[0]?.problems).toEqual([expect.stringMatching(/^b\.json: dnis \+16175550100 belongs to more than one active campaign: support, sales$/)]);
    expect(problems[1]?.problems).toEqual([expect.stringMatching(/^c\.json: support: id is used by more than one campaign$/)]);
  });

  it('lets an inactive campaign share a number with an active one', () => {
    const dir = folder({ 'a.json': SUPPORT, 'b.json': { ...SALES, active: false, dnis: ['+16175550100'] } });
    const { catalog } = open(dir);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { id: 'support' } });
  });
});

describe('create', () => {
  it('writes <id>.json as people write JSON and serves it from the next call on', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog, lines } = open(dir);

    const entry = saved(await catalog.create(SALES));

    const text = textOf(dir, 'sales.json');
    expect(text).toBe(`${JSON.stringify(SALES, null, 2)}\n`);
    expect(entry).toMatchObject({ id: 'sales', file: 'sales.json', document: SALES, version: versionOf(text), problems: [] });
    expect(catalog.resolve('+16175550200')).toMatchObject({ kind: 'found', campaign: { id: 'sales' } });
    expect(catalog.entry('sales')?.version).toBe(versionOf(text));
    const logged = lines.filter((l) => l.campaign === 'sales');
    expect(logged).toEqual([expect.objectContaining({ level: 30, action: 'created', file: 'sales.json' })]);
    // No number of the campaign's in the log (a bare '555' matched log timestamps such as 1796490555813).
    expect(JSON.stringify(lines)).not.toContain('6175550200');
  });

  it('refuses an id that is taken, and a file name that is taken by a file not in service', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    writeHand(dir, 'sales.json', 'not yet finished');

    expect(await catalog.create({ ...SALES, id: 'support', dnis: ['+16175550900'] })).toEqual({
      kind: 'conflict',
      message: expect.stringContaining('support'),
    });
    expect(await catalog.create(SALES)).toEqual({ kind: 'conflict', message: expect.stringContaining('sales.json') });
    expect(textOf(dir, 'sales.json')).toBe('not yet finished');
    expect(catalog.get('sales')).toBeUndefined();
  });

  it('names the fields of an invalid document and writes nothing', async () => {
    const dir = folder({});
    const { catalog } = open(dir);

    const result = await catalog.create({ ...SALES, dnis: [''], message: 'no link here', colour: 'blue' });

    expect(result.kind).toBe('invalid');
    const fields = result.kind === 'invalid' ? result.fields.map((f) => f.field) : [];
    expect(fields).toEqual(expect.arrayContaining(['dnis.0', 'message', 'colour']));
    expect(await catalog.create('not an object')).toMatchObject({ kind: 'invalid', fields: [{ field: '' }] });
    expect(await catalog.create(undefined)).toMatchObject({ kind: 'invalid', fields: [{ field: '' }] });
    expect(campaignFolder(dir)).toEqual([]);
  });

  it('refuses an id that is not a safe file name, on the field id', async () => {
    const dir = folder({});
    const { catalog } = open(dir);
    for (const id of ['../escape', 'a/b', '.hidden', 'UPPER', 'x.json']) {
      expect(await catalog.create({ ...SALES, id })).toMatchObject({ kind: 'invalid', fields: [{ field: 'id' }] });
    }
    expect(campaignFolder(dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, '..', 'escape.json'))).toBe(false);
  });

  it('reports what the environment check refuses, on its field when the check names one', async () => {
    const dir = folder({});
    const { catalog } = open(dir);
    expect(await catalog.create({ ...SALES, gateway: 'twilio' })).toEqual({
      kind: 'invalid',
      fields: [{ field: 'gateway', message: 'twilio is not configured' }],
    });
    expect(await catalog.create({ ...SALES, gateway: 'vonage' })).toEqual({
      kind: 'invalid',
      fields: [{ field: '', message: 'no Vonage credentials' }],
    });
    expect(campaignFolder(dir)).toEqual([]);
  });

  it('refuses an active campaign on a number another active campaign answers, on the field dnis', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);

    const result = await catalog.create({ ...SALES, dnis: ['617-555-0100'] });

    expect(result).toEqual({ kind: 'invalid', fields: [{ field: 'dnis', message: expect.stringMatching(/belongs to more than one active campaign: (sales, support|support, sales)$/) }] });
    expect(fs.existsSync(path.join(dir, 'sales.json'))).toBe(false);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { id: 'support' } });
  });
});

describe('update', () => {
  it('rewrites the file under its own name and serves the new version at once', async () => {
    const dir = folder({ 'support-line.json': SUPPORT });
    const { catalog, lines } = open(dir);
    const before = catalog.entry('support')?.version;
    const changed = { ...SUPPORT, name: 'Support, now with chat', dnis: ['+16175550101'] };

    const entry = saved(await catalog.update('support', changed));

    expect(textOf(dir, 'support-line.json')).toBe(`${JSON.stringify(changed, null, 2)}\n`);
    expect(campaignFolder(dir)).toEqual(['support-line.json']);
    expect(entry.version).not.toBe(before);
    expect(entry.version).toBe(versionOf(textOf(dir, 'support-line.json')));
    expect(catalog.get('support')?.name).toBe('Support, now with chat');
    expect(catalog.resolve('+16175550100')).toEqual({ kind: 'unknown' });
    expect(catalog.resolve('+16175550101')).toMatchObject({ kind: 'found' });
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, campaign: 'support', action: 'updated' }));
  });

  it('keeps the id: a document with another id is invalid on the field id', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    const text = textOf(dir, 'support.json');

    expect(await catalog.update('support', { ...SUPPORT, id: 'helpdesk' })).toMatchObject({
      kind: 'invalid',
      fields: [{ field: 'id' }],
    });
    expect(textOf(dir, 'support.json')).toBe(text);
    expect(catalog.get('helpdesk')).toBeUndefined();
  });

  it('names invalid fields with their paths and leaves the file alone', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    const text = textOf(dir, 'support.json');

    const result = await catalog.update('support', { ...SUPPORT, dnis: ['+16175550100', ''], keys: { accept: '1', decline: '1' } });

    expect(result.kind === 'invalid' && result.fields.map((f) => f.field).sort()).toEqual(['dnis.1', 'keys.decline']);
    expect(textOf(dir, 'support.json')).toBe(text);
  });

  it('answers not-found for an id that is not in service', async () => {
    const { catalog } = open(folder({ 'support.json': SUPPORT }));
    expect(await catalog.update('nobody', { ...SUPPORT, id: 'nobody' })).toEqual({ kind: 'not-found' });
    expect(await catalog.setActive('nobody', false)).toEqual({ kind: 'not-found' });
    expect(await catalog.remove('nobody')).toEqual({ kind: 'not-found' });
  });

  it('with If-Match, refuses to overwrite a version the client has not seen', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    const seen = catalog.entry('support')?.version as string;
    const first = saved(await catalog.update('support', { ...SUPPORT, name: 'First' }, { ifMatch: seen }));

    const stale = await catalog.update('support', { ...SUPPORT, name: 'Second' }, { ifMatch: seen });

    expect(stale).toEqual({ kind: 'conflict', message: expect.any(String), currentVersion: first.version });
    expect(catalog.get('support')?.name).toBe('First');
    expect(JSON.parse(textOf(dir, 'support.json')).name).toBe('First');
  });

  it('serialises 50 concurrent updates: the file holds exactly one of them whole, and no temporary file is left', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    const bodies = Array.from({ length: 50 }, (_, i) => ({
      ...SUPPORT,
      name: `Support version ${i}`,
      dnis: [`+1617555${String(1000 + i)}`],
      // Different lengths, so a torn or interleaved write could not parse as any of them.
      message: `${'Please '.repeat(i)}chat with us: {link}`,
    }));

    const results = await Promise.all(bodies.map((body) => catalog.update('support', body)));

    expect(results.every((r) => r.kind === 'saved')).toBe(true);
    const onDisk = JSON.parse(textOf(dir, 'support.json'));
    expect(bodies.filter((body) => JSON.stringify(body) === JSON.stringify(onDisk))).toHaveLength(1);
    expect(catalog.entry('support')?.document).toEqual(onDisk);
    expect(catalog.entry('support')?.version).toBe(versionOf(textOf(dir, 'support.json')));
    expect(campaignFolder(dir)).toEqual(['support.json']);
  });
});

describe('setActive', () => {
  it('rewrites only "active", keeping the document as written, and the number hands calls back', async () => {
    const hand = { $schema: './campaign.schema.json', id: 'support', name: 'Support', dnis: ['+16175550100'], message: 'Hi {link}', link: 'https://x.example.com/' };
    const dir = folder({ 'support.json': hand });
    const { catalog, lines } = open(dir);

    saved(await catalog.setActive('support', false));

    expect(textOf(dir, 'support.json')).toBe(`${JSON.stringify({ ...hand, active: false }, null, 2)}\n`);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'inactive', campaign: { id: 'support' } });
    expect(lines).toContainEqual(expect.objectContaining({ campaign: 'support', action: 'deactivated' }));

    saved(await catalog.setActive('support', true));

    expect(Object.keys(JSON.parse(textOf(dir, 'support.json')))).toEqual(['$schema', 'id', 'name', 'dnis', 'message', 'link', 'active']);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found' });
  });

  it('keeps "active" where it was in the file', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    saved(await catalog.setActive('support', false));
    expect(textOf(dir, 'support.json')).toBe(`${JSON.stringify({ ...SUPPORT, active: false }, null, 2)}\n`);
    expect(Object.keys(JSON.parse(textOf(dir, 'support.json')))).toEqual(Object.keys(SUPPORT));
  });

  it('refuses to activate a campaign whose number another active campaign answers, on the field active', async () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': { ...SALES, active: false, dnis: ['+16175550100'] } });
    const { catalog } = open(dir);
    const text = textOf(dir, 'sales.json');

    const result = await catalog.setActive('sales', true);

    expect(result).toEqual({ kind: 'invalid', fields: [{ field: 'active', message: expect.stringContaining('more than one active campaign') }] });
    expect(textOf(dir, 'sales.json')).toBe(text);
    expect(catalog.get('sales')?.active).toBe(false);
  });

  it('honours If-Match', async () => {
    const { catalog } = open(folder({ 'support.json': SUPPORT }));
    expect(await catalog.setActive('support', false, { ifMatch: 'not-the-version' })).toMatchObject({ kind: 'conflict', currentVersion: catalog.entry('support')?.version });
    expect(catalog.get('support')?.active).toBe(true);
  });
});

describe('remove', () => {
  it('deletes the file and takes the campaign out of service', async () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    const { catalog, lines } = open(dir);
    const version = catalog.entry('support')?.version;

    expect(await catalog.remove('support', { ifMatch: 'stale' })).toMatchObject({ kind: 'conflict', currentVersion: version });
    expect(fs.existsSync(path.join(dir, 'support.json'))).toBe(true);

    expect(saved(await catalog.remove('support', { ifMatch: version }))).toMatchObject({ id: 'support', file: 'support.json' });

    expect(campaignFolder(dir)).toEqual(['sales.json']);
    expect(catalog.get('support')).toBeUndefined();
    expect(catalog.entry('support')).toBeUndefined();
    expect(catalog.resolve('+16175550100')).toEqual({ kind: 'unknown' });
    expect(catalog.entries().map((e) => e.id)).toEqual(['sales']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, campaign: 'support', action: 'removed' }));
  });

  it('frees the id: the campaign can be created again', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    saved(await catalog.remove('support'));
    expect(saved(await catalog.create(SUPPORT)).file).toBe('support.json');
  });
});

describe('hand edits', () => {
  it('are picked up by the watcher', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog, lines } = open(dir, { watch: true, debounceMs: 50 });

    writeHand(dir, 'support.json', { ...SUPPORT, name: 'Edited by hand' });

    await eventually(() => catalog.get('support')?.name === 'Edited by hand');
    expect(catalog.entry('support')?.version).toBe(versionOf(textOf(dir, 'support.json')));
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, campaign: 'support', action: 'updated', source: 'file' }));
  });

  it('keep the last good version in service while the file is invalid, and say why once; fixing the file clears it', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog, lines } = open(dir);
    const good = catalog.entry('support')?.version;

    writeHand(dir, 'support.json', { ...SUPPORT, name: 'Broken', message: 'no link' });
    catalog.reload();
    catalog.reload();

    const entry = catalog.entry('support');
    expect(entry?.version).toBe(good);
    expect(entry?.campaign.name).toBe('Support chat');
    expect(entry?.problems).toEqual(['support.json: message: must contain {link}']);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { name: 'Support chat' } });
    expect(lines.filter((l) => l.level === 50)).toEqual([expect.objectContaining({ file: 'support.json', campaign: 'support' })]);

    writeHand(dir, 'support.json', '{ "id": "support", ');
    catalog.reload();
    expect(catalog.entry('support')?.problems).toEqual([expect.stringMatching(/^support\.json: not valid JSON/)]);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(2);

    writeHand(dir, 'support.json', { ...SUPPORT, name: 'Fixed' });
    catalog.reload();
    expect(catalog.entry('support')).toMatchObject({ problems: [], campaign: { name: 'Fixed' } });
  });

  it('that clash with another campaign keep the last good version, and go in once the clash is gone', async () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    const { catalog } = open(dir);

    writeHand(dir, 'sales.json', { ...SALES, dnis: ['+16175550100'] });
    catalog.reload();

    expect(catalog.entry('sales')?.problems).toEqual([expect.stringMatching(/^sales\.json: dnis \+16175550100 belongs to more than one active campaign/)]);
    expect(catalog.get('sales')?.dnis).toEqual(['+16175550200']);

    writeHand(dir, 'support.json', { ...SUPPORT, active: false });
    catalog.reload();

    expect(catalog.entry('sales')?.problems).toEqual([]);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { id: 'sales' } });
  });

  it('that move a number from one file to another in one go are taken together', () => {
    const dir = folder({ 'a.json': SUPPORT, 'b.json': SALES });
    const { catalog } = open(dir);

    writeHand(dir, 'a.json', { ...SUPPORT, dnis: ['+16175550200'] });
    writeHand(dir, 'b.json', { ...SALES, dnis: ['+16175550100'] });
    catalog.reload();

    expect(catalog.resolve('+16175550100')).toMatchObject({ campaign: { id: 'sales' } });
    expect(catalog.resolve('+16175550200')).toMatchObject({ campaign: { id: 'support' } });
  });

  it('show a new file that never validated in fileProblems, and not in service', () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog, lines } = open(dir);

    writeHand(dir, 'draft.json', { ...SALES, dnis: [] });
    catalog.reload();

    expect(catalog.fileProblems()).toEqual([{ file: 'draft.json', problems: [expect.stringMatching(/^draft\.json: dnis: /)] }]);
    expect(catalog.get('sales')).toBeUndefined();
    expect(catalog.entries().map((e) => e.id)).toEqual(['support']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, file: 'draft.json' }));

    fs.rmSync(path.join(dir, 'draft.json'));
    catalog.reload();
    expect(catalog.fileProblems()).toEqual([]);
  });

  it('that delete a file take its campaign out of service', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    const { catalog, lines } = open(dir);

    fs.rmSync(path.join(dir, 'sales.json'));
    catalog.reload();

    expect(catalog.get('sales')).toBeUndefined();
    expect(catalog.resolve('+16175550200')).toEqual({ kind: 'unknown' });
    expect(lines).toContainEqual(expect.objectContaining({ campaign: 'sales', action: 'removed', source: 'file' }));
  });

  it('that delete a file are picked up by the watcher', async () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    const { catalog } = open(dir, { watch: true, debounceMs: 50 });

    fs.rmSync(path.join(dir, 'sales.json'));

    await eventually(() => catalog.get('sales') === undefined);
    expect(catalog.get('support')).toBeDefined();
  });

  it("that change a campaign's id remove the old id and add the new one", () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog, lines } = open(dir);

    writeHand(dir, 'support.json', { ...SUPPORT, id: 'helpdesk' });
    catalog.reload();

    expect(catalog.get('support')).toBeUndefined();
    expect(catalog.entry('helpdesk')).toMatchObject({ file: 'support.json', problems: [] });
    expect(lines.filter((l) => l.source === 'file').map((l) => [l.campaign, l.action])).toEqual([
      ['support', 'removed'],
      ['helpdesk', 'added'],
    ]);
  });

  it('ignore temporary files and the JSON Schema', () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);

    writeHand(dir, '.support.json.0a1b2c.tmp', '{ half a fi');
    writeHand(dir, 'campaign.schema.json', { type: 'object' });
    catalog.reload();

    expect(catalog.fileProblems()).toEqual([]);
    expect(catalog.entries().map((e) => e.file)).toEqual(['support.json']);
  });
});

describe('our own writes seen by the watcher', () => {
  it('change nothing and are not taken for hand edits', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog, lines } = open(dir, { watch: true, debounceMs: 20 });

    const entry = saved(await catalog.update('support', { ...SUPPORT, name: 'Through the API' }));
    saved(await catalog.create(SALES));
    await pause(300);

    expect(catalog.entry('support')?.version).toBe(entry.version);
    expect(lines.filter((l) => l.source === 'file' || l.level >= 50)).toEqual([]);
  });

  it('stop after close', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir, { watch: true, debounceMs: 20 });
    catalog.close();

    writeHand(dir, 'support.json', { ...SUPPORT, name: 'After close' });
    await pause(200);

    expect(catalog.get('support')?.name).toBe('Support chat');
  });
});

describe('writeFileAtomic', () => {
  it('leaves the old content and no temporary file when the write fails', async () => {
    const dir = folder({});
    fs.mkdirSync(path.join(dir, 'target.json'));

    await expect(writeFileAtomic(path.join(dir, 'target.json'), '{}\n')).rejects.toThrow();

    expect(campaignFolder(dir)).toEqual(['target.json']);
    expect(fs.statSync(path.join(dir, 'target.json')).isDirectory()).toBe(true);
  });
});

describe('restarts: the last good copy of each file', () => {
  const copyOf = (dir: string, name: string) => path.join(dir, '.last-good', name);

  it('is the exact bytes of each file that loaded cleanly, kept beside the folder', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    open(dir);
    expect(fs.readFileSync(copyOf(dir, 'support.json'), 'utf8')).toBe(textOf(dir, 'support.json'));
    expect(fs.readFileSync(copyOf(dir, 'sales.json'), 'utf8')).toBe(textOf(dir, 'sales.json'));
    expect(fs.readdirSync(path.join(dir, '.last-good')).sort()).toEqual(['sales.json', 'support.json']);
  });

  it('serves after a restart for a file broken while the server was down, marked last-good; the others serve as written', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    const first = open(dir).catalog;
    const goodVersion = first.entry('support')?.version;
    first.close();

    writeHand(dir, 'support.json', { ...SUPPORT, name: 'Support, broken', message: 'no link here' });
    writeHand(dir, 'sales.json', { ...SALES, name: 'Sales, edited' });
    const { catalog, lines } = open(dir);

    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { id: 'support', name: 'Support chat' } });
    expect(catalog.entry('support')).toMatchObject({ status: 'last-good', version: goodVersion, problems: ['support.json: message: must contain {link}'] });
    expect(catalog.entry('sales')).toMatchObject({ status: 'ok', problems: [], campaign: { name: 'Sales, edited' } });
    expect(catalog.fileProblems()).toEqual([]);
    expect(lines.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({ file: 'support.json', campaign: 'support', msg: expect.stringContaining('last good version') }),
    ]);
    // The broken content never becomes the copy.
    expect(JSON.parse(fs.readFileSync(copyOf(dir, 'support.json'), 'utf8'))).toEqual(SUPPORT);

    writeHand(dir, 'support.json', { ...SUPPORT, name: 'Support, fixed' });
    catalog.reload();
    expect(catalog.entry('support')).toMatchObject({ status: 'ok', problems: [], campaign: { name: 'Support, fixed' } });
    expect(JSON.parse(fs.readFileSync(copyOf(dir, 'support.json'), 'utf8'))).toMatchObject({ name: 'Support, fixed' });
  });

  it('a file with no last good copy is reported and not served, its number unknown; fixing it serves it', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': { ...SALES, message: 'no link' } });
    const { catalog } = open(dir);
    expect(catalog.resolve('+16175550200')).toEqual({ kind: 'unknown' });
    expect(catalog.entry('sales')).toBeUndefined();
    expect(catalog.fileProblems()).toEqual([{ file: 'sales.json', problems: ['sales.json: message: must contain {link}'] }]);
    expect(fs.existsSync(copyOf(dir, 'sales.json'))).toBe(false);

    writeHand(dir, 'sales.json', SALES);
    catalog.reload();
    expect(catalog.resolve('+16175550200')).toMatchObject({ kind: 'found', campaign: { id: 'sales' } });
    expect(catalog.fileProblems()).toEqual([]);
    expect(fs.existsSync(copyOf(dir, 'sales.json'))).toBe(true);
  });

  it('a clash after a restart: the version that served before keeps the number, whatever the file names', () => {
    const dir = folder({ 'a.json': { ...SALES, dnis: ['+16175550200'] }, 'z.json': SUPPORT });
    open(dir).catalog.close();

    // While the server was down, a.json was edited to claim z.json's number too.
    writeHand(dir, 'a.json', { ...SALES, dnis: ['+16175550100'] });
    const { catalog } = open(dir);
    expect(catalog.resolve('+16175550100')).toMatchObject({ kind: 'found', campaign: { id: 'support' } });
    expect(catalog.resolve('+16175550200')).toMatchObject({ kind: 'found', campaign: { id: 'sales' } });
    expect(catalog.entry('sales')).toMatchObject({ status: 'last-good', problems: [expect.stringMatching(/^a\.json: dnis \+16175550100 belongs to more than one active campaign/)] });
    expect(catalog.entry('support')?.status).toBe('ok');
  });

  it('is dropped with its file: a file deleted while down and put back broken is not served from an old copy', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    open(dir).catalog.close();
    fs.rmSync(path.join(dir, 'sales.json'));
    open(dir).catalog.close();
    expect(fs.existsSync(copyOf(dir, 'sales.json'))).toBe(false);

    writeHand(dir, 'sales.json', '{ "id": "sales", ');
    const { catalog } = open(dir);
    expect(catalog.entry('sales')).toBeUndefined();
    expect(catalog.fileProblems().map((p) => p.file)).toEqual(['sales.json']);
  });

  it('is dropped when a campaign is removed through the catalog', async () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    const { catalog } = open(dir);
    saved(await catalog.remove('sales'));
    expect(fs.existsSync(copyOf(dir, 'sales.json'))).toBe(false);
  });

  it('is written by changes through the catalog', async () => {
    const dir = folder({ 'support.json': SUPPORT });
    const { catalog } = open(dir);
    saved(await catalog.create(SALES));
    saved(await catalog.update('support', { ...SUPPORT, name: 'Support, via the API' }));
    expect(fs.readFileSync(copyOf(dir, 'sales.json'), 'utf8')).toBe(textOf(dir, 'sales.json'));
    expect(fs.readFileSync(copyOf(dir, 'support.json'), 'utf8')).toBe(textOf(dir, 'support.json'));
  });

  it('is not used when it no longer passes the environment check: the file is broken', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': { ...SALES, gateway: 'sandbox' } });
    open(dir).catalog.close();
    writeHand(dir, 'sales.json', '{ "id": "sales", ');
    const strict: CampaignCheck = (c) => (c.gateway === 'sandbox' ? ['gateway: sandbox is not configured'] : []);
    const { catalog, lines } = open(dir, { check: strict });
    expect(catalog.entry('sales')).toBeUndefined();
    expect(catalog.fileProblems().map((p) => p.file)).toEqual(['sales.json']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, file: 'sales.json', msg: expect.stringContaining('last good copy') }));
  });

  it('goes to lastGoodDir when one is given (a read-only campaigns folder), and serves from there', () => {
    const dir = folder({ 'support.json': SUPPORT });
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'last-good-'));
    dirs.push(state);
    open(dir, { lastGoodDir: state }).catalog.close();
    expect(fs.existsSync(path.join(dir, '.last-good'))).toBe(false);
    expect(fs.readFileSync(path.join(state, 'support.json'), 'utf8')).toBe(textOf(dir, 'support.json'));

    writeHand(dir, 'support.json', 'not json');
    const { catalog } = open(dir, { lastGoodDir: state });
    expect(catalog.entry('support')).toMatchObject({ status: 'last-good', campaign: { name: 'Support chat' } });
  });

  it('a folder where no copy can be written still serves, with one warning', () => {
    const dir = folder({ 'support.json': SUPPORT, 'sales.json': SALES });
    // A file where the copies' folder should be: mkdir fails whoever runs the test (root too).
    const blocked = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocked, '');
    const { catalog, lines } = open(dir, { lastGoodDir: path.join(blocked, 'copies') });
    expect(catalog.all().map((c) => c.id).sort()).toEqual(['sales', 'support']);
    expect(lines.filter((l) => l.level === 40 && l.msg.includes('CAMPAIGNS_LAST_GOOD_DIR'))).toHaveLength(1);
  });
});
