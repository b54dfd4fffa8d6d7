/**
 * Safe restarts, as an operator lives them: the real server process (src/main.ts) stopped
 * and started again on a campaigns folder where a file broke in the meantime. The other
 * campaigns serve; the broken file serves its last good version (kept by the earlier run
 * in campaigns/.last-good/), or nothing when it has none; the log, /readyz, the admin API,
 * the console and /metrics each say which file is broken and why; fixing the file clears it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { passwordHash, signIn } from './console/helpers';
import { expectValidVxml } from './helpers/vxml-schema';
import {
  EXAMPLE_CAMPAIGN,
  exampleCampaign,
  ServerProcess,
  cleanUpProcesses,
  freePort,
  getDocument,
  localServerEnv,
  tempDir,
  waitUntilAnswering,
} from './helpers/server-process';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'restart-test-admin-token-0123';
const EXAMPLE_DNIS = '+18005550100';
const SALES_DNIS = '+18005550200';
const DRAFT_DNIS = '+18005550300';
const ANI = '+16175551234';

afterEach(cleanUpProcesses);


const SALES = exampleCampaign({ id: 'sales', name: 'Sales chat', dnis: [SALES_DNIS] });
const DRAFT = exampleCampaign({ id: 'draft', name: 'Draft chat', dnis: [DRAFT_DNIS] });

function write(dir: string, name: string, content: unknown): void {
  fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

const startUrl = (baseUrl: string, dnis: string) => `${baseUrl}/vxml/start?dnis=${encodeURIComponent(dnis)}&ani=${encodeURIComponent(ANI)}`;

async function api(baseUrl: string, route: string): Promise<any> {
  const res = await fetch(`${baseUrl}${route}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.json();
}

/** Polls the admin API until condition holds on the campaign list (the folder watcher is asynchronous). */
async function untilCampaigns(baseUrl: string, condition: (list: any) => boolean): Promise<any> {
  for (;;) {
    const list = await api(baseUrl, '/api/campaigns');
    if (condition(list)) return list;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function start(env: Record<string, string>): Promise<{ server: ServerProcess; baseUrl: string }> {
  const server = new ServerProcess(env);
  const baseUrl = env.PUBLIC_BASE_URL as string;
  await waitUntilAnswering(server, baseUrl);
  return { server, baseUrl };
}

describe('a restart with one broken campaign file', () => {
  it('serves the other campaigns and the broken one from its last good copy; one with no copy is reported and not served; fixing clears it', async () => {
    const port = await freePort();
    const campaigns = tempDir('campaigns');
    fs.copyFileSync(EXAMPLE_CAMPAIGN, path.join(campaigns, 'example.json'));
    write(campaigns, 'sales.json', SALES);
    const env = localServerEnv(port, ADMIN_TOKEN, {
      CAMPAIGNS_DIR: campaigns,
      ADMIN_USER: 'ops-lead',
      ADMIN_PASSWORD_HASH: await passwordHash(),
    });

    // The first run: both files are good, so both get a last good copy.
    const first = await start(env);
    await first.server.kill();
    expect(fs.readdirSync(path.join(campaigns, '.last-good')).sort()).toEqual(['example.json', 'sales.json']);

    // While the server is down: example.json loses its {link}, and a new draft.json that
    // never validated appears (no copy to fall back on).
    write(campaigns, 'example.json', exampleCampaign({ name: 'Example, broken', message: 'Call us back later.' }));
    write(campaigns, 'draft.json', { ...DRAFT, message: 'No link in this one either.' });

    const { server, baseUrl } = await start(env);

    // The good file serves as written: a real call's start document is the offer.
    const salesOffer = await getDocument(startUrl(baseUrl, SALES_DNIS));
    expect(salesOffer).toContain('press 1');
    await expectValidVxml(salesOffer);
    // The broken file serves its last good version.
    const exampleOffer = await getDocument(startUrl(baseUrl, EXAMPLE_DNIS));
    expect(exampleOffer).toContain('press 1');
    await expectValidVxml(exampleOffer);
    // The file with no last good copy: its number gets what an unknown number gets.
    const draftAnswer = await getDocument(startUrl(baseUrl, DRAFT_DNIS));
    expect(draftAnswer).not.toContain('press 1');
    expect(draftAnswer).toContain('unknown-dnis');
    await expectValidVxml(draftAnswer);

    // /readyz: still ready, naming the invalid files (names only: it asks for no token).
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const readyBody = (await ready.json()) as any;
    expect(readyBody.checks.campaigns).toEqual({ status: 'ok', count: 2, invalidFiles: { lastGood: ['example.json'], broken: ['draft.json'] } });
    expect(JSON.stringify(readyBody)).not.toContain('{link}');

    // The admin API: each campaign's status, and why.
    const list = await api(baseUrl, '/api/campaigns');
    expect(list.campaigns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'example-support', file: 'example.json', status: 'last-good', name: 'Example Co. customer support chat', problems: ['example.json: message: must contain {link}'] }),
        expect.objectContaining({ id: 'sales', file: 'sales.json', status: 'ok', problems: [] }),
      ]),
    );
    expect(list.fileProblems).toEqual([{ file: 'draft.json', status: 'broken', problems: ['draft.json: message: must contain {link}'] }]);

    // The console's campaigns page: a banner per invalid file, with its problems.
    const admin = await signIn(baseUrl as any);
    const page = await admin.get('/admin/campaigns');
    expect(page.status).toBe(200);
    const banners = [...page.text.matchAll(/<div class="notice notice-error" role="alert">([\s\S]*?)<\/div>/g)].map((m) => m[1]?.replace(/\s+/g, ' ') ?? '');
    expect(banners).toEqual([
      expect.stringMatching(/<strong>draft\.json<\/strong> is invalid and has no last good version.*draft\.json: message: must contain \{link\}/),
      expect.stringMatching(/<strong>example\.json<\/strong> is invalid: its last good version of example-support serves.*example\.json: message: must contain \{link\}/),
    ]);

    // The gauge.
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^ivr_deflect_campaign_files_invalid\{served="last-good"\} 1$/m);
    expect(metrics).toMatch(/^ivr_deflect_campaign_files_invalid\{served="none"\} 1$/m);

    // The log: one error line per invalid file, with each problem and its field path.
    const logged = server.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.level === 50);
    expect(logged).toEqual([
      expect.objectContaining({ file: 'draft.json', status: 'broken', problems: ['draft.json: message: must contain {link}'] }),
      expect.objectContaining({ file: 'example.json', status: 'last-good', campaign: 'example-support', problems: ['example.json: message: must contain {link}'] }),
    ]);

    // Fixing the files (picked up by the folder watcher) clears every report.
    write(campaigns, 'example.json', exampleCampaign({ name: 'Example, fixed' }));
    write(campaigns, 'draft.json', DRAFT);
    const fixed = await untilCampaigns(baseUrl, (l) => l.fileProblems.length === 0 && l.campaigns.every((c: any) => c.status === 'ok'));
    expect(fixed.campaigns.map((c: any) => [c.id, c.name]).sort()).toEqual([
      ['draft', 'Draft chat'],
      ['example-support', 'Example, fixed'],
      ['sales', 'Sales chat'],
    ]);
    expect(((await (await fetch(`${baseUrl}/readyz`)).json()) as any).checks.campaigns).toEqual({ status: 'ok', count: 3 });
    const draftOffer = await getDocument(startUrl(baseUrl, DRAFT_DNIS));
    expect(draftOffer).toContain('press 1');
    await expectValidVxml(draftOffer);
    const page2 = await admin.get('/admin/campaigns');
    expect(page2.text).not.toContain('notice-error');
  });

  it('two files claiming one number at a first start: the first by file name serves, the other is reported', async () => {
    const port = await freePort();
    const campaigns = tempDir('campaigns');
    write(campaigns, 'one.json', exampleCampaign({ id: 'one', name: 'One', dnis: ['+1 (800) 555-0100'] }));
    write(campaigns, 'two.json', exampleCampaign({ id: 'two', name: 'Two', dnis: ['800-555-0100'] }));
    const { baseUrl } = await start(localServerEnv(port, ADMIN_TOKEN, { CAMPAIGNS_DIR: campaigns }));

    const list = await api(baseUrl, '/api/campaigns');
    expect(list.campaigns.map((c: any) => c.id)).toEqual(['one']);
    expect(list.fileProblems).toEqual([
      { file: 'two.json', status: 'broken', problems: [`two.json: dnis ${EXAMPLE_DNIS} belongs to more than one active campaign: one, two`] },
    ]);
    const offer = await getDocument(startUrl(baseUrl, EXAMPLE_DNIS));
    expect(offer).toContain('press 1');
  });
});
