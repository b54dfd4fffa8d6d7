/**
 * Prism (@stoplight/prism-cli) as a validating mock of a vendor's OpenAPI spec, for the
 * contract tests (test/sms/*-contract.test.ts): started as a child process on a free port,
 * waited for until it listens, and stopped again. What Prism writes is kept, so that a
 * failure can show it.
 *
 * The spec files live outside this repository (../shared/vendor-specs); a test whose spec
 * is absent is skipped with a visible notice rather than passing silently.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

// Run with this node: the .bin entry is a symlink to Prism's JS entry point.
const PRISM = path.resolve(__dirname, '../../node_modules/.bin/prism');
const HOST = '127.0.0.1';
/** How long stop() waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;

export interface PrismOptions {
  /** Extra `prism mock` arguments, placed before the spec (e.g. ['--errors']). */
  args?: string[];
  /** How long to wait for Prism to listen before failing; 50 s unless told. */
  timeoutMs?: number;
  /**
   * `mock` (default) answers from the spec; `proxy` forwards to `upstream` and checks the
   * real answers against the spec, reporting breaches in the sl-violations header.
   */
  command?: 'mock' | 'proxy';
  upstream?: string;
}

export interface PrismMock {
  /** http://127.0.0.1:<port>, with no trailing slash. */
  url: string;
  port: number;
  /** Everything Prism has written so far, stdout and stderr interleaved. */
  output(): string;
  /** Ends Prism (SIGTERM, then SIGKILL if it lingers) and waits until it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `prism mock <spec>` (or `prism proxy <spec> <upstream>`) on a free port and resolves once it takes connections. Fails
 * early, with Prism's output, if it exits first, and after `timeoutMs` if it never listens;
 * either way the process is gone when the promise rejects.
 */
export async function startPrism(spec: string, options: PrismOptions = {}): Promise<PrismMock> {
  const { args = [], timeoutMs = 50_000, command = 'mock', upstream } = options;
  const port = await freePort();
  const target = command === 'proxy' && upstream ? [upstream] : [];
  const child = spawn(process.execPath, [PRISM, command, '-h', HOST, '-p', String(port), ...args, spec, ...target], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      output += `\n${error.stack ?? error.message}`;
      resolve();
    });
  });
  const hasExited = (): boolean => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;

  async function stop(): Promise<void> {
    if (hasExited()) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const lingering = new Promise<'lingering'>((resolve) => (timer = setTimeout(() => resolve('lingering'), STOP_GRACE_MS)));
    const result = await Promise.race([exited, lingering]);
    clearTimeout(timer);
    if (result === 'lingering' && !hasExited()) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  try {
    await waitUntilListening(port, hasExited, timeoutMs, () => output, () => child.exitCode ?? child.signalCode);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://${HOST}:${port}`, port, output: () => output, stop };
}

/**
 * `describe` when the spec file exists; otherwise prints a notice that cannot be missed
 * and returns `describe.skip`, so the contract test is reported as skipped.
 */
export function describeIfSpec(spec: string, testName: string): jest.Describe {
  if (fs.existsSync(spec)) return describe;
  console.warn(`\n*** NOTICE: ${spec} not found: ${testName} is SKIPPED in this run, the adapter is NOT checked against the spec. ***\n`);
  return describe.skip;
}

/** A port nothing listens on right now (Prism needs a number, not 0). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until the port takes connections; fails early, with Prism's output, if it exits. */
async function waitUntilListening(
  port: number,
  hasExited: () => boolean,
  timeoutMs: number,
  output: () => string,
  exitStatus: () => number | string | null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`prism exited (${exitStatus() ?? 'spawn error'}) before listening on ${port}:\n${output()}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`prism was not listening on ${port} after ${timeoutMs} ms:\n${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
