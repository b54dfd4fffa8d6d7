import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { signIn, startConsole, type Admin } from './console/helpers';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, type TestServer } from './helpers/server';
import { expectValidVxml } from './helpers/vxml-schema';

/**
 * Issue 15 part 10: bad admin input. A control character (C0, U+FFFE/U+FFFF, a lone
 * surrogate) in a prompt made every document of the campaign ill-formed; an availability
 * `body` nested 100,000 deep gave the API a 500, and such a hand-edited file broke the
 * console's Campaigns, Simulator and Reports pages. Both are refused now with a 400 naming
 * the field, and such a file is reported like any invalid one.
 */

let server: TestServer;
let admin: Admin;
beforeEach(async () => {
  server = await startConsole();
  admin = await signIn(server.app);
});
afterEach(() => server.close());

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const NEW_DNIS = '+18005550199';
const sales = (extra: Record<string, unknown> = {}) => ({ ...campaign({ id: 'sales', name: 'Sales chat', dnis: [NEW_DNIS] }), ...extra });
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** A campaign document as JSON text, its availability body nested `levels` deep (too deep for JSON.stringify to write). */
const deeplyNested = (levels: number) =>
  JSON.stringify(sales({ availability: { kind: 'http', url: 'https://example.com/open', method: 'POST', body: 0, availablePath: 'open' } })).replace(
    '"body":0',
    `"body":${deep(levels)}`,
  );

async function startCall(dnis: string): Promise<string> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis, ani: '+16175551234', callid: `c-${Math.random()}` });
  return caller.xml;
}

describe('control characters in campaign text', () => {
  it.each([
    ['a bell (C0) in a prompt', { prompts: { offer: 'Press 1 for a text\u0007, 2 to stay.' } }, 'prompts.offer', 'U+0007'],
    ['U+FFFE in the name', { name: 'Sales \uFFFE chat' }, 'name', 'U+FFFE'],
    ['U+FFFF in the SMS text', { message: 'Chat: {link} \uFFFF' }, 'message', 'U+FFFF'],
    ['a lone surrogate in a prompt part', { prompts: { sent: ['Sent', { text: 'bye \uD800' }] } }, 'prompts.sent.1.text', 'U+D800'],
    ['an escape in a field name', { prompts: { 'offer\u001b': 'x' } }, 'prompts', 'U+001B'],
  ])('the API refuses %s with a 400 naming the field, and writes nothing', async (_label, extra, field, found) => {
    const res = await request(server.app).post('/api/campaigns').set(auth).send(sales(extra));
    expect(res.status).toBe(400);
    expect(res.body.fields).toContainEqual({ field, message: expect.stringContaining(found) });
    expect(JSON.stringify(res.body)).not.toMatch(/\\u0007|\\u001b/);
    expect(fs.existsSync(path.join(server.campaignsDir, 'sales.json'))).toBe(false);
  });

  it('the console form refuses a control character beside its field', async () => {
    const res = await admin.post('/admin/campaigns/new', {
      id: 'sales',
      name: 'Sales\u0001 chat',
      active: 'on',
      dnis: NEW_DNIS,
      message: 'Sales: {link}',
      link: 'https://chat.example.com/sales',
      language: 'en-US',
      country: 'US',
      'prompts.offer.0.text': 'Press 1\u0008',
      advanced: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('The campaign was not saved');
    expect(res.text).toMatch(/id="name-error">[^<]*U\+0001/);
    expect(res.text).toMatch(/id="prompts\.offer-error">[\s\S]*?U\+0008/);
    expect(fs.existsSync(path.join(server.campaignsDir, 'sales.json'))).toBe(false);
  });
});

describe('deeply nested JSON', () => {
  it('the API refuses an availability body nested 100,000 deep with a 400 naming the field', async () => {
    const res = await request(server.app).post('/api/campaigns').set(auth).set('Content-Type', 'application/json').send(deeplyNested(100_000));
    expect(res.status).toBe(400);
    expect(res.body.fields[0].field).toMatch(/^availability\.body(\.0)*$/);
    expect(res.body.fields[0].message).toContain('nested too deeply');
    expect(fs.existsSync(path.join(server.campaignsDir, 'sales.json'))).toBe(false);
    // A body of ordinary depth is still fine.
    const ok = await request(server.app).post('/api/campaigns').set(auth).set('Content-Type', 'application/json').send(deeplyNested(5));
    expect(ok.status).toBe(201);
  });

  it('the console refuses an availability body nested that deep, beside its field', async () => {
    const res = await admin.post('/admin/campaigns/new', {
      id: 'sales',
      name: 'Sales chat',
      active: 'on',
      dnis: NEW_DNIS,
      message: 'Sales: {link}',
      link: 'https://chat.example.com/sales',
      language: 'en-US',
      country: 'US',
      'availability.kind': 'http',
      'availability.url': 'https://example.com/open',
      'availability.method': 'POST',
      'availability.availablePath': 'open',
      'availability.body': deep(9_000),
      advanced: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="availability\.body-error">[^<]*nested too deeply/);
  });
});

describe('hand-edited files', () => {
  const waitFor = async (condition: () => boolean) => {
    // Each poll waits on the folder watcher, not a clock: bounded by count.
    for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    if (!condition()) throw new Error('the campaigns folder was not re-read');
  };

  it('a file with a control character or deep nesting is reported like any invalid file; every console page still answers', async () => {
    // The example campaign edited by hand with a bell in a prompt; a new file nested 100,000 deep.
    const support = path.join(server.campaignsDir, 'support.json');
    const edited = { ...JSON.parse(fs.readFileSync(support, 'utf8')), prompts: { offer: 'Press 1\u0007 for a text' } };
    fs.writeFileSync(support, JSON.stringify(edited));
    fs.writeFileSync(path.join(server.campaignsDir, 'deep.json'), deeplyNested(100_000).replace('"id":"sales"', '"id":"deep"'));
    await waitFor(() => (server.campaigns.entry('support')?.problems.length ?? 0) > 0 && server.campaigns.fileProblems().length > 0);

    const listed = await request(server.app).get('/api/campaigns').set(auth);
    expect(listed.status).toBe(200);
    expect(listed.body.campaigns[0].problems.join(' ')).toMatch(/prompts\.offer: must not contain control characters.*U\+0007/);
    expect(listed.body.fileProblems).toEqual([{ file: 'deep.json', status: 'broken', problems: [expect.stringMatching(/^deep\.json: availability\.body(\.0)*: is nested too deeply/)] }]);

    for (const page of ['/admin/campaigns', '/admin/simulator', '/admin/reports', '/admin/campaigns/support']) {
      const res = await admin.get(page);
      expect([page, res.status]).toEqual([page, 200]);
    }
    expect((await admin.get('/admin/campaigns')).text).toContain('deep.json');
    // The last good version stays in service, its documents valid; the deep file serves nothing.
    const xml = await startCall('+18005550100');
    expect(xml).not.toContain('\u0007');
    await expectValidVxml(xml);
    expect(await startCall(NEW_DNIS)).not.toMatch(/press 1/i);
  });
});
