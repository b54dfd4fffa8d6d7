/**
 * The real server as a user runs it: a separate Node process started from src/main.ts,
 * configured only through its environment and talked to over real HTTP. These tests cover
 * what the in-process tests cannot: exit codes, what start-up prints, signals, and whether
 * data survives the process being killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { create } from 'xmlbuilder2';
import { CONFIG_VARIABLES } from '../src/config';

jest.setTimeout(30_000);

const MAIN = path.resolve(__dirname, '../src/main.ts');
const EXAMPLE_CAMPAIGN = path.resolve(__dirname, '../campaigns/example.json');
// tsx's loader runs the TypeScript in the same process (`npx tsx` would start a second
// Node process, and signals sent to the first would not reach the server). An absolute
// URL lets the child run in any working directory.
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

const ADMIN_TOKEN = 'startup-test-admin-token-0123';
const DNIS = '+18005550100';
const ANI = '+16175551234';


// ---------------------------------------------------------------------------------------
// Temporary folders and child processes, cleaned up after every test even when it fails.

const tempDirs: string[] = [];
const running = new Set<ServerProcess>();

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ivr-deflect-startup-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all([...running].map((server) => server.kill()));
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Running the server.

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

class ServerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    const inherited = { ...process.env };
    // None of the server's variables may leak in from the shell running the tests.
    for (const name of CONFIG_VARIABLES) delete inherited[name];
    // The working directory is a fresh folder, so a developer's .env in the project root
    // (which main.ts loads from the working directory) cannot change what is tested.
    this.child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
      cwd: tempDir('cwd'),
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    running.add(this);
    // 'close' rather than 'exit': it waits for stdout and stderr to be read to the end.
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get hasExited(): boolean {
    return !running.has(this);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** SIGKILL, which the process cannot refuse, then waits for it to end. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Waits for the process to end by itself; kills it and fails if it does not. */
  async exitWithin(ms: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await this.kill();
      throw new Error(`the server did not exit within ${ms} ms\n${this.output()}`);
    }
    return result;
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }
}

/** A port nobody is listening on right now (PORT must be 1 to 65535). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Polls until the server answers HTTP; fails at once if it exits instead. */
async function waitUntilAnswering(server: ServerProcess, baseUrl: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (server.hasExited) throw new Error(`the server exited during start-up\n${server.output()}`);
    try {
      await fetch(`${baseUrl}/vxml/root.vxml`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the server did not answer within ${ms} ms\n${server.output()}`);
}

/** A campaigns folder holding a copy of the shipped example (DNIS +1 800 555 0100). */
function exampleCampaignsDir(): string {
  const dir = tempDir('campaigns');
  fs.copyFileSync(EXAMPLE_CAMPAIGN, path.join(dir, 'example.json'));
  return dir;
}

/** The shipped example campaign as an object, for tests to break. */
function exampleCampaign(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const campaign = JSON.parse(fs.readFileSync(EXAMPLE_CAMPAIGN, 'utf8')) as Record<string, unknown>;
  delete campaign.$schema;
  return { ...campaign, ...overrides };
}

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
  const exit = await server.exitWithin(15_000);
  return { ...exit, stdout: server.stdout, stderr: server.stderr };
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
}

// ---------------------------------------------------------------------------------------
// Walking a call over HTTP, the way a VoiceXML browser does.

type XmlElement = {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement>;
};

interface Submit {
  url: string;
  method: 'GET' | 'POST';
}

/** The <submit> inside the document's <filled>: where the caller's key press goes. */
function filledSubmit(xml: string, documentUrl: string): Submit {
  const root = (create(xml).node as unknown as { documentElement: XmlElement }).documentElement;
  const filled = Array.from(root.getElementsByTagName('filled'));
  const submit = filled.length === 1 ? filled[0]?.getElementsByTagName('submit')[0] : undefined;
  if (!submit) throw new Error(`expected one <filled><submit> in:\n${xml}`);
  // Relative to the document's own URL, which lives under /vxml/.
  return {
    url: new URL(submit.getAttribute('next') ?? '', documentUrl).href,
    method: submit.getAttribute('method') === 'post' ? 'POST' : 'GET',
  };
}

async function getDocument(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/voicexml+xml; charset=utf-8');
  return res.text();
}

/** The caller keys in `answer`, submitted as the document's namelist says. */
async function press(submit: Submit, answer: string): Promise<string> {
  const form = new URLSearchParams({ answer });
  const res =
    submit.method === 'POST'
      ? await fetch(submit.url, { method: 'POST', body: form })
      : await fetch(`${submit.url}${submit.url.includes('?') ? '&' : '?'}${form}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/voicexml+xml; charset=utf-8');
  return res.text();
}

interface MessageView {
  to: string;
  body: string;
  status: string;
}

async function listMessages(baseUrl: string): Promise<MessageView[]> {
  const res = await fetch(`${baseUrl}/api/messages`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: MessageView[] }).messages;
}

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

describe('an invalid campaign file stops start-up, naming the file and the field', () => {
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

  it('two active campaigns with the same DNIS, written differently', async () => {
    const dir = campaignsDir({
      'one.json': JSON.stringify(exampleCampaign({ id: 'one', dnis: ['+1 (800) 555-0100'] })),
      'two.json': JSON.stringify(exampleCampaign({ id: 'two', dnis: ['800-555-0100'] })),
    });
    const outcome = await startupOutcome({}, dir);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(DNIS);
    expectNoStackTrace(outcome.stderr);
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
