/**
 * What the fault and load tests (test/faults, `npm run test:faults`) share: a seeded
 * random source, the real server as a child process, whole deflections over real HTTP,
 * the admin API's view of the outbox, and small statistics for the printed figures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLE_CAMPAIGN, ServerProcess, freePort, localServerEnv, tempDir, waitUntilAnswering } from '../helpers/server-process';

export const ADMIN_TOKEN = 'faults-admin-token-0123456789';
/** The example campaign's number. */
export const DNIS = '+18005550100';
export const SENT_PROMPT = "We've sent you a text.";
export const PENDING_PROMPT = 'Your text is on its way.';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A whole number from the environment (a developer's knob), or the default. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return value;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated request for request. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  bytes(length: number, from = 0, to = 255): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(from, to);
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// The server.

export interface RunningServer {
  process: ServerProcess;
  baseUrl: string;
  /** The environment it was started with: a restart on the same data uses it again. */
  env: Record<string, string>;
}

/**
 * The real server (src/main.ts in a child process) serving a copy of the example
 * campaign, with the admin API on, on a free port and a fresh data folder. `extra` adds
 * or overrides variables (the gateway, outbox timings).
 */
export async function startServer(extra: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Info lines for thousands of calls are noise here; warnings and errors are read.
  // localServerEnv plays the VoiceXML platform from loopback (IVR_ALLOWED_CIDRS).
  const env = localServerEnv(port, ADMIN_TOKEN, { LOG_LEVEL: 'warn', ...extra });
  return { process: await launch(env, baseUrl), baseUrl, env };
}

/**
 * These load tests text hundreds of numbers of one range within minutes, from one
 * campaign, many of them for withheld callers, on purpose. As an operator running such a
 * load would, they lift the campaign's hourly and daily caps and per-caller limit (withheld
 * callers share one bucket), the service's hourly budget and the pumping guard's range
 * limit; the shipped defaults stay what they are (the pumping run tests those).
 */
export function bulkTextingEnv(): Record<string, string> {
  const dir = tempDir('campaigns');
  const example = JSON.parse(fs.readFileSync(EXAMPLE_CAMPAIGN, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'example.json'), JSON.stringify({ ...example, limits: { hourlyCap: null, dailyCap: null, perCaller: [] } }));
  return { CAMPAIGNS_DIR: dir, SMS_SERVICE_HOURLY_BUDGET: '1000000', PUMPING_MAX_PER_RANGE: '100000' };
}

/** Starts another process on the same port and data folder (after a crash). */
export async function restartServer(previous: RunningServer): Promise<RunningServer> {
  return { ...previous, process: await launch(previous.env, previous.baseUrl) };
}

async function launch(env: Record<string, string>, baseUrl: string): Promise<ServerProcess> {
  const server = new ServerProcess(env);
  // Start-up loads the whole app: slow on a busy CI machine.
  await waitUntilAnswering(server, baseUrl, 60_000);
  return server;
}

/** The server's log lines at error level or above (pino: 50 error, 60 fatal). */
export function errorLogLines(server: ServerProcess): string[] {
  return server.stdout.split('\n').filter((line) => {
    if (!line.startsWith('{')) return false;
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return false;
    }
  });
}

// ---------------------------------------------------------------------------------------
// Calls over HTTP, the way a VoiceXML browser walks them.

/**
 * A distinct US mobile-style number per caller: the campaign's limits allow one text per
 * number per 10 minutes and three per caller a day, and these tests count texts, not
 * refusals. `block` (0 to 79) keeps the numbers of different groups of callers apart.
 */
export function callerNumber(block: number, index: number): string {
  // A US exchange starts with 2 to 9: 200 + block * 10 + the ten-thousands of the index.
  return `+1617${200 + block * 10 + Math.floor(index / 10_000)}${String(index % 10_000).padStart(4, '0')}`;
}

/** Where the document's <filled><submit> sends the caller's key, relative to the document's URL. */
export function nextUrl(xml: string, documentUrl: string): string {
  const next = /<filled>\s*<submit next="([^"]+)"/.exec(xml)?.[1];
  if (!next) throw new Error(`no <filled><submit> in the document:\n${xml}`);
  return new URL(next.replace(/&amp;/g, '&'), documentUrl).href;
}

/**
 * The call's result variables as the end document declares them (status, reason,
 * maskedNumber); none for a question (it declares them too, but only as the error default).
 */
export function resultOf(xml: string): Record<string, string> {
  const values: Record<string, string> = {};
  if (xml.includes('<field')) return values;
  for (const match of xml.matchAll(/<var name="(status|reason|maskedNumber)" expr="'([^']*)'"\/>/g)) {
    values[match[1] as string] = match[2] as string;
  }
  return values;
}

export type DeflectionStep = 'start' | 'offer' | 'confirm';

/**
 * One whole deflection: the offer, 1 to accept, 1 to confirm the calling number.
 * `onStep` is told before each request, so a test knows what was in flight at a moment.
 * Returns the last document; a failed request throws (the caller's call would drop).
 */
export async function deflect(
  baseUrl: string,
  ani: string,
  onStep: (step: DeflectionStep) => void = () => undefined,
  dnis = DNIS,
): Promise<string> {
  const startUrl = `${baseUrl}/vxml/start?dnis=${encodeURIComponent(dnis)}&ani=${encodeURIComponent(ani)}&callid=faults-${ani.slice(1)}`;
  onStep('start');
  const offer = await fetchDocument(startUrl);
  const offerUrl = nextUrl(offer, startUrl);
  onStep('offer');
  const confirm = await fetchDocument(offerUrl, 'answer=1');
  onStep('confirm');
  return fetchDocument(nextUrl(confirm, offerUrl), 'answer=1');
}

async function fetchDocument(url: string, form?: string): Promise<string> {
  const res = form
    ? await fetch(url, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

// ---------------------------------------------------------------------------------------
// The outbox through the admin API.

export interface MessageView {
  id: string;
  to: string;
  status: string;
  vendorMessageId: string | null;
  attempts: number;
}

/** Messages matching `query` (status, number...), newest first, whole numbers shown. */
export async function messages(baseUrl: string, query: Record<string, string>): Promise<MessageView[]> {
  const params = new URLSearchParams({ reveal: 'true', reason: 'fault test assertions', limit: '500', ...query });
  const res = await fetch(`${baseUrl}/api/messages?${params}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET /api/messages answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { messages: MessageView[] }).messages;
}

/** Polls `check` until it returns a value; fails with `describe()` after `ms`. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>, describe: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${describe()}`);
    await sleep(250);
  }
}

/** Runs `work` for each item with at most `concurrency` at once. */
export async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// ---------------------------------------------------------------------------------------
// Figures.

export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** "p50 12 ms, p99 80 ms, max 95 ms" */
export function latency(values: readonly number[]): string {
  const ms = (p: number) => `${Math.round(percentile(values, p))} ms`;
  return `p50 ${ms(50)}, p99 ${ms(99)}, max ${ms(100)}`;
}
