/**
 * The real server as a user runs it: a separate Node process started from src/main.ts,
 * configured only through its environment and talked to over real HTTP. These tests cover
 * what the in-process tests cannot: exit codes, what start-up prints, signals, and whether
 * data survives the process being killed.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  exampleCampaign,
  ServerProcess,
  cleanUpProcesses,
  exampleCampaignsDir,
  filledSubmit,
  freePort,
  getDocument,
  listMessages as listMessagesWith,
  press,
  tempDir,
  waitUntilAnswering,
} from './helpers/server-process';

// Generous: each test starts a Node process, which a busy machine makes slow; a passing run takes seconds.
jest.setTimeout(120_000);

const ADMIN_TOKEN = 'startup-test-admin-token-0123';
const DNIS = '+18005550100';
const ANI = '+16175551234';

// Child processes and temporary folders (test/helpers/server-process.ts), cleaned up
// after every test even when it fails.
afterEach(cleanUpProcesses);

/** Starts the server with everything valid except what `env` overrides, and waits for it to exit. */
async function startupOutcome(env: Record<string, string>, campaignsDir = exampleCampaignsDir()) {
  const server = new ServerProcess({
    // A free port: should a bad value be accepted by mistake, the server must not collide with anything.
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(tempDir('data'), 'data'),
    CAMPAIGNS_DIR: campaignsDir,
    ...env,
  });
  // An upper bound, not a speed check: a refused start exits as soon as it has read its settings.
  const exit = await server.exitWithin(60_000);
  return { ...exit, stdout: server.stdout, stderr: server.stderr };
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
}

const listMessages = (baseUrl: string) => listMessagesWith(baseUrl, ADMIN_TOKEN);

// ---------------------------------------------------------------------------------------

describe('bad configuration stops start-up with one line naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '0'],
    ['PORT', '0x1F90'],
    ['PORT', ' '],
    ['ADMIN_TOKEN', 'short'],
    ['PUBLIC_BASE_URL', 'not-a-url'],
    ['SMS_GATEWAY', 'nosuch'],
    ['LOG_LEVEL', 'loud'],
    ['CALL_TTL_MINUTES', '0'],
    ['SANDBOX_FAIL_NUMBERS', '617-555-1234'],
  ])('%s=%s', async (name, value) => {
    const outcome = await startupOutcome({ [name]: value });

    expect(outcome.code).toBe(1);
    // Exactly one line, ending in a newline, that names the variable.
    expect(outcome.stderr).toMatch(/^[^\n]+\n$/);
    expect(outcome.stderr).toContain(name);
    expectNoStackTrace(outcome.stderr);
    // Nothing was logged as if the server had started.
    expect(outcome.stdout).toBe('');
  });
});

// A folder where no file can serve stops start-up; one invalid file among good ones does
// not (test/campaign-restart.test.ts).
describe('a campaign folder where no file can serve stops start-up, naming each file and field', () => {
  function campaignsDir(files: Record<string, string>): string {
    const dir = tempDir('campaigns');
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  it('a message without {link}', async () => {
    const dir = campaignsDir({ 'bad.json': JSON.stringify(exampleCampaign({ message: 'Call us back later.' })) });
    const outcome = await startupOutcome({}, dir);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/bad\.json\b.*\bmessage\b/);
    expectNoStackTrace(outcome.stderr);
  });

  it('a nested field gives its whole path', async () => {
    const dir = campaignsDir({
      'bad.json': JSON.stringify(exampleCampaign({ onSent: { action: 'goto', url: 'not a url' } })),
    });
    const outcome = await startupOutcome({}, dir);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/bad\.json\b.*\bonSent\.url\b/);
    expectNoStackTrace(outcome.stderr);
  });

  it('a file that is not JSON', async () => {
    const dir = campaignsDir({ 'broken.json': '{ "id": "broken", ' });
    const outcome = await startupOutcome({}, dir);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('broken.json');
    expectNoStackTrace(outcome.stderr);
  });

  it('problems in several files are all reported by one start-up', async () => {
    const dir = campaignsDir({
      'broken.json': 'not json at all',
      'bad.json': JSON.stringify(exampleCampaign({ message: 'no link' })),
    });
    const outcome = await startupOutcome({}, dir);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('broken.json');
    expect(outcome.stderr).toMatch(/bad\.json\b.*\bmessage\b/);
  });
});

describe('a running server', () => {
  let baseUrl: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      // Short links point at this very server, so the link in the text can be followed as is.
      PUBLIC_BASE_URL: baseUrl,
      ADMIN_TOKEN,
      DATA_DIR: path.join(tempDir('data'), 'data'),
      CAMPAIGNS_DIR: exampleCampaignsDir(),
    };
  });

  async function startServer(): Promise<ServerProcess> {
    const server = new ServerProcess(env);
    await waitUntilAnswering(server, baseUrl);
    return server;
  }

  it('logs the port it listens on', async () => {
    const server = await startServer();
    // The listening line is written after the first answer may have gone out.
    await server.logged('ivr-deflect listening');
    // Read the log once the process has ended, so that all of it has arrived.
    await server.kill();
    const lines = server.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ port: Number(env.PORT), campaigns: ['example-support'], gateway: 'sandbox' }),
    );
  });

  it('loses nothing it accepted when the process is killed and restarted', async () => {
    // A whole call: the offer, "1" to accept, "1" to confirm the number called from.
    const first = await startServer();
    const startUrl = `${baseUrl}/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=${encodeURIComponent(ANI)}`;
    const offer = await getDocument(startUrl);
    expect(offer).toContain('press 1');
    const offerSubmit = filledSubmit(offer, startUrl);
    const confirm = await press(offerSubmit, '1');
    expect(confirm).toContain("We'll text the number you're calling from");
    const confirmSubmit = filledSubmit(confirm, offerSubmit.url);
    const sent = await press(confirmSubmit, '1');
    expect(sent).toContain("We've sent you a text.");
    expect(await listMessages(baseUrl)).toEqual([expect.objectContaining({ to: ANI, status: 'sent' })]);

    // No chance to shut down cleanly: whatever was answered must already be on disk.
    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    await startServer();

    const [message, ...others] = await listMessages(baseUrl);
    expect(others).toHaveLength(0);
    expect(message).toMatchObject({ to: ANI, status: 'sent' });

    // The link in the text still works.
    const link = new RegExp(`${baseUrl.replace(/\./g, '\\.')}/s/[0-9A-Za-z]{7,16}`).exec(message?.body ?? '');
    expect(link).not.toBeNull();
    const click = await fetch(link?.[0] ?? '', { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toMatch(/^https:\/\/chat\.example\.com\/start\?/);

    // An IVR platform retrying the confirm submit gets the same answer and no second text.
    expect(await press(confirmSubmit, '1')).toBe(sent);
    expect(await listMessages(baseUrl)).toHaveLength(1);
  });

  it('exits with code 0 soon after SIGTERM', async () => {
    // No drain wait (shutdown.test.ts tests it): only what follows it is timed here.
    env.SHUTDOWN_DRAIN_MS = '0';
    // waitUntilAnswering leaves an idle keep-alive connection open, as IVR platforms do;
    // it must not hold the shutdown up.
    const server = await startServer();

    server.signal('SIGTERM');
    // main.ts gives up waiting for connections after 10 s; a clean shutdown is much sooner.
    const exit = await server.exitWithin(5_000);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.stdout).toContain('shutting down');
  });
});

describe('the IVR door and the start-up security summary', () => {
  it('refuses to start on a public address with no IVR lock, saying exactly what to set', async () => {
    const outcome = await startupOutcome({ HOST: '0.0.0.0' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^[^\n]+\n$/);
    expect(outcome.stderr).toContain('HOST: 0.0.0.0');
    for (const setting of ['IVR_ALLOWED_CIDRS', 'IVR_SHARED_SECRET', 'IVR_OPEN=true']) expect(outcome.stderr).toContain(setting);
    expectNoStackTrace(outcome.stderr);
  });

  /** Starts on 0.0.0.0 with `env`, and returns its log lines once it has been stopped. */
  async function startupLog(extra: Record<string, string>): Promise<Array<Record<string, unknown>>> {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = new ServerProcess({
      PORT: String(port),
      DATA_DIR: path.join(tempDir('data'), 'data'),
      CAMPAIGNS_DIR: exampleCampaignsDir(),
      ...extra,
    });
    await waitUntilAnswering(server, baseUrl);
    // The log is written asynchronously: the listening line (the last at start-up) first.
    await server.logged('ivr-deflect listening');
    await server.kill();
    return server.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  const doors = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.security).map((l) => [l.security, l.setting]);

  it('logs one warning per door left open, each naming the setting that closes it', async () => {
    const lines = await startupLog({ HOST: '0.0.0.0', IVR_OPEN: 'true', ADMIN_TOKEN, PUBLIC_BASE_URL: 'http://ivr.example.com', IVR_SEND_RATE_LIMIT: '0' });
    expect(doors(lines)).toEqual([
      ['ivr-open', 'IVR_ALLOWED_CIDRS or IVR_SHARED_SECRET'],
      ['ivr-send-unlimited', 'IVR_SEND_RATE_LIMIT'],
      ['metrics-open', 'METRICS_TOKEN'],
      ['admin-plain-http', 'PUBLIC_BASE_URL'],
    ]);
    for (const line of lines.filter((l) => l.security)) expect(line.level).toBe(40);
    // The token itself never appears.
    expect(JSON.stringify(lines)).not.toContain(ADMIN_TOKEN);
  });

  it('says no door is open when every one is locked, and that loopback is closed to the network', async () => {
    const locked = await startupLog({
      HOST: '0.0.0.0',
      IVR_ALLOWED_CIDRS: '127.0.0.1/32',
      ADMIN_TOKEN,
      METRICS_TOKEN: 'startup-metrics-token-0123',
      PUBLIC_BASE_URL: 'https://ivr.example.com',
    });
    expect(doors(locked)).toEqual([]);
    expect(locked).toContainEqual(expect.objectContaining({ msg: 'security: no door left open' }));
    const loopback = await startupLog({ HOST: '127.0.0.1' });
    expect(doors(loopback)).toEqual([]);
    expect(loopback).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('loopback only') }));
  });
});
