/**
 * The real server as a user runs it: a separate Node process running src/main.ts (compiled
 * once per jest run, test/helpers/compiled-src.ts, as `npm start` runs dist/main.js),
 * configured only through its environment and talked to over real HTTP, plus the helpers
 * that walk a call the way a VoiceXML browser does. Used by the process tests
 * (startup.test.ts, outbox-restart.test.ts).
 *
 * Every process and temporary folder made here is tracked: a test file calls
 * `afterEach(cleanUpProcesses)` (or afterAll) so that they go away even when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { create } from 'xmlbuilder2';
import { CONFIG_VARIABLES } from '../../src/config';
import { compiledPath } from './compiled-src';

// src/main.ts compiled by the test run's globalSetup (test/helpers/compiled-src.ts) and
// run by plain Node, as `npm start` runs dist/main.js.
const MAIN = compiledPath(path.resolve(__dirname, '../../src/main.ts'));
export const EXAMPLE_CAMPAIGN = path.resolve(__dirname, '../../campaigns/example.json');

/** The shipped example campaign as an object, for tests to change or break. */
export function exampleCampaign(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const campaign = JSON.parse(fs.readFileSync(EXAMPLE_CAMPAIGN, 'utf8')) as Record<string, unknown>;
  delete campaign.$schema;
  return { ...campaign, ...overrides };
}

// ---------------------------------------------------------------------------------------
// Temporary folders and child processes, cleaned up by cleanUpProcesses().

const tempDirs: string[] = [];
const running = new Set<ServerProcess>();

/** A fresh folder under the OS temp dir, removed by cleanUpProcesses(). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ivr-deflect-startup-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** SIGKILLs every server still running and removes every temporary folder. */
export async function cleanUpProcesses(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Running the server.

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerProcess {
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
    this.child = spawn(process.execPath, [MAIN], {
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

  /** The server's process id (to read its open descriptors in /proc). */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the server process did not start');
    return this.child.pid;
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

  /**
   * Resolves once stdout holds `text`; fails if the process ends first. The log is written
   * asynchronously (pino's default stream), so a line logged before the server answered
   * may reach the pipe after the answer: a test that kills the process and then reads its
   * log waits for the last line it needs first.
   */
  async logged(text: string): Promise<void> {
    if (this.stdout.includes(text)) return;
    const stdout = this.child.stdout;
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (!this.stdout.includes(text)) return;
        stop();
        resolve();
      };
      const onClose = () => {
        stop();
        reject(new Error(`the server ended before logging "${text}"\n${this.output()}`));
      };
      const stop = () => {
        stdout?.off('data', onData);
        this.child.off('close', onClose);
      };
      // Registered after the constructor's listener, so this.stdout already holds the chunk.
      stdout?.on('data', onData);
      this.child.once('close', onClose);
    });
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }
}

/** A port nobody is listening on right now (PORT must be 1 to 65535). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Polls until the server answers HTTP; fails at once if it exits instead. The limit only
 * guards against a hang: on a loaded 2-core machine a start-up has taken over 15 s.
 */
export async function waitUntilAnswering(server: ServerProcess, baseUrl: string, ms = 60_000): Promise<void> {
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
export function exampleCampaignsDir(): string {
  const dir = tempDir('campaigns');
  fs.copyFileSync(EXAMPLE_CAMPAIGN, path.join(dir, 'example.json'));
  return dir;
}

/**
 * The variables of a server on `port` as the process tests run it: loopback, the public
 * URL its own, the admin API on, a fresh data folder and a copy of the example campaign.
 * The result can start the process again on the same data (a restart after a crash);
 * `extra` adds or overrides variables (the gateway, outbox timings).
 */
export function localServerEnv(port: number, adminToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    ADMIN_TOKEN: adminToken,
    DATA_DIR: path.join(tempDir('data'), 'data'),
    CAMPAIGNS_DIR: exampleCampaignsDir(),
    // The tests play the VoiceXML platform from this machine: the platform's rate limits.
    IVR_ALLOWED_CIDRS: '127.0.0.1/32',
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------
// Walking a call over HTTP, the way a VoiceXML browser does.

type XmlElement = {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement>;
};

export interface Submit {
  url: string;
  method: 'GET' | 'POST';
}

/** The <submit> inside the document's <filled>: where the caller's key press goes. */
export function filledSubmit(xml: string, documentUrl: string): Submit {
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

export async function getDocument(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/voicexml+xml; charset=utf-8');
  return res.text();
}

/** The caller keys in `answer`, submitted as the document's namelist says. */
export async function press(submit: Submit, answer: string): Promise<string> {
  const form = new URLSearchParams({ answer });
  const res =
    submit.method === 'POST'
      ? await fetch(submit.url, { method: 'POST', body: form })
      : await fetch(`${submit.url}${submit.url.includes('?') ? '&' : '?'}${form}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/voicexml+xml; charset=utf-8');
  return res.text();
}

/** A message as the admin API (GET /api/messages) shows it; only the fields tests read. */
export interface MessageView {
  id: string;
  to: string;
  body: string;
  status: string;
  vendorMessageId: string | null;
  attempts: number;
}

/** The newest messages (up to `limit`, the API allows 500), newest first, numbers unmasked. */
export async function listMessages(baseUrl: string, adminToken: string, limit?: number): Promise<MessageView[]> {
  // Whole numbers, which the API only shows with a reason.
  const query = `?reveal=true&reason=test+assertions${limit === undefined ? '' : `&limit=${limit}`}`;
  const res = await fetch(`${baseUrl}/api/messages${query}`, { headers: { Authorization: `Bearer ${adminToken}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: MessageView[] }).messages;
}
