import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { OutboxSettings } from '../../src/config';
import { Dispatcher } from '../../src/outbox/dispatcher';
import type { OutgoingSms, SendOutcome, SmsGateway } from '../../src/sms/port';
import { WebhookGateway } from '../../src/sms/webhook';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * `npm run bench:dispatch`: how fast the outbox moves a backlog to a vendor, against
 * what the vendor allows at the same concurrency. On loopback, in one run:
 *  1. ceiling: the real WebhookGateway adapter called directly by N workers in a loop
 *     (N = the outbox concurrency), M messages;
 *  2. outbox, backlog: M messages stored with store.createMessage (as the call flow
 *     stores them), then dispatcher.kick(); the real SqliteStore in a temp folder and the
 *     real Dispatcher send them through the same adapter. Run with a fast poll (--poll-ms)
 *     and with the dispatcher's built-in poll interval (what production runs);
 *  3. outbox, callers' first attempts: each message stored then handed to
 *     dispatcher.sendNow(id, 0), which claims it (the call flow stores its message
 *     leased and skips that claim: sendLeased); built-in poll interval: the callers'
 *     attempts, not the poll, move these.
 * The fake gateway answers every POST after --delay-ms with {"id": ...} (the generic
 * webhook gateway's wire format) and notes when it answered, keyed by our message id.
 * It runs in this process so that submit and acceptance times share one clock; at a few
 * hundred messages a second it is nowhere near being the bottleneck.
 *
 * Reported per run: messages per second (M / first submit to last acceptance), the time
 * from submit to acceptance (p50/p99; in the ceiling run every message counts as
 * submitted at the start, like the outbox's backlog), the time of each vendor request
 * (p50/p99), and the mean number of requests in flight (N means no slot ever idled).
 */

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    messages: { type: 'string', default: '5000' },
    'delay-ms': { type: 'string', default: '50' },
    'poll-ms': { type: 'string', default: '20' },
  },
});
const CONCURRENCY = Number(args.concurrency);
const MESSAGES = Number(args.messages);
const DELAY_MS = Number(args['delay-ms']);
const FAST_POLL_MS = Number(args['poll-ms']);
for (const [name, value] of Object.entries({ CONCURRENCY, MESSAGES, DELAY_MS, FAST_POLL_MS })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
}

const ROOT = path.resolve(__dirname, '../..');
const SECRET = 'bench-dispatch-secret';
const BODY = 'Example Co.: chat with us now at https://ivr.example.com/s/AbCdEfGh Reply STOP to opt out.';

// ---------------------------------------------------------------------------------------
// The fake in-house gateway.

interface FakeGateway {
  url: string;
  /** When the fake answered 2xx, by our message id (performance.now()). */
  acceptedAt: Map<string, number>;
  /** Requests that carried an id already accepted. */
  duplicates: number;
  close(): Promise<void>;
}

async function startFakeGateway(delayMs: number): Promise<FakeGateway> {
  const acceptedAt = new Map<string, number>();
  const fake = { duplicates: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let id: string;
      try {
        id = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown }).id);
      } catch {
        res.writeHead(400).end();
        return;
      }
      setTimeout(() => {
        if (acceptedAt.has(id)) fake.duplicates += 1;
        acceptedAt.set(id, performance.now());
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `fake-${id}` }));
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/messages`,
    acceptedAt,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

// ---------------------------------------------------------------------------------------
// Measuring.

function percentile(sorted: number[], p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : 0;
}

const round1 = (n: number) => Number(n.toFixed(1));

interface RunResult {
  messagesPerSecond: number;
  ratioToCeiling?: number;
  submitToAcceptMs: { p50: number; p99: number; max: number };
  vendorRequestMs: { p50: number; p99: number };
  meanInFlight: number;
  seconds: number;
  duplicates: number;
}

function summarise(
  fake: FakeGateway,
  submittedAt: Map<string, number>,
  requestMs: number[],
  duplicatesBefore: number,
): RunResult {
  const waits: number[] = [];
  let first = Infinity;
  let last = 0;
  for (const [id, submitted] of submittedAt) {
    const accepted = fake.acceptedAt.get(id);
    if (accepted === undefined) throw new Error(`message ${id} was never accepted`);
    waits.push(accepted - submitted);
    first = Math.min(first, submitted);
    last = Math.max(last, accepted);
  }
  waits.sort((a, b) => a - b);
  const sorted = [...requestMs].sort((a, b) => a - b);
  const seconds = (last - first) / 1000;
  return {
    messagesPerSecond: Math.round(submittedAt.size / seconds),
    submitToAcceptMs: { p50: round1(percentile(waits, 50)), p99: round1(percentile(waits, 99)), max: round1(waits.at(-1) ?? 0) },
    vendorRequestMs: { p50: round1(percentile(sorted, 50)), p99: round1(percentile(sorted, 99)) },
    // Little's law: total time spent in vendor requests over the wall time.
    meanInFlight: round1(requestMs.reduce((a, b) => a + b, 0) / (seconds * 1000)),
    seconds: round1(seconds),
    duplicates: fake.duplicates - duplicatesBefore,
  };
}

/** The adapter, timing each request the dispatcher makes through it. */
class TimedGateway implements SmsGateway {
  readonly name: string;
  readonly requestMs: number[] = [];
  constructor(private readonly inner: SmsGateway) {
    this.name = inner.name;
  }
  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const started = performance.now();
    const outcome = await this.inner.send(sms, signal);
    this.requestMs.push(performance.now() - started);
    return outcome;
  }
}

async function waitUntilAccepted(fake: FakeGateway, ids: Iterable<string>, timeoutMs: number): Promise<void> {
  const pending = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  while (pending.size) {
    for (const id of pending) if (fake.acceptedAt.has(id)) pending.delete(id);
    if (!pending.size) return;
    if (Date.now() > deadline) throw new Error(`${pending.size} messages not accepted within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---------------------------------------------------------------------------------------
// The runs.

const number = (i: number) => `+1617${String(5_550_000 + (i % 10_000)).padStart(7, '0')}`;

/** The vendor called directly by CONCURRENCY workers: what the outbox could at best do. */
async function ceiling(fake: FakeGateway): Promise<RunResult> {
  const gateway = new TimedGateway(new WebhookGateway({ url: fake.url, secret: SECRET }));
  const duplicatesBefore = fake.duplicates;
  const submittedAt = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) submittedAt.set(`ceiling-${i}`, start);
  const ids = [...submittedAt.keys()];
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const outcome = await gateway.send({ id, to: number(next), body: BODY }, new AbortController().signal);
      if (outcome.outcome !== 'accepted') throw new Error(`ceiling: ${id} not accepted: ${JSON.stringify(outcome)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return summarise(fake, submittedAt, gateway.requestMs, duplicatesBefore);
}

const SETTINGS: OutboxSettings = {
  concurrency: CONCURRENCY,
  attemptTimeoutMs: 10_000,
  maxAttempts: 8,
  retryBaseMs: 5_000,
  callerWaitMs: 0,
};

/**
 * The outbox on a fresh SQLite store. mode "backlog": store every message, then kick;
 * mode "sendNow": store each message and hand it straight to sendNow(id, 0).
 */
async function outbox(fake: FakeGateway, label: string, mode: 'backlog' | 'sendNow', pollMs?: number): Promise<RunResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-bench-dispatch-'));
  const store = SqliteStore.open(dataDir);
  const gateway = new TimedGateway(new WebhookGateway({ url: fake.url, secret: SECRET }));
  // Logging as in production (info, JSON), into /dev/null.
  const log = pino({ level: 'info', base: { service: 'ivr-deflect' } }, pino.destination({ dest: '/dev/null', sync: true }));
  const dispatcher = new Dispatcher({
    store,
    gateways: new Map([[gateway.name, gateway]]),
    settings: SETTINGS,
    log,
    ...(pollMs === undefined ? {} : { pollMs }),
  });
  const duplicatesBefore = fake.duplicates;
  const submittedAt = new Map<string, number>();
  const firstAttempts: Promise<unknown>[] = [];
  try {
    dispatcher.start();
    for (let i = 0; i < MESSAGES; i++) {
      const id = `${label}-${i}`;
      submittedAt.set(id, performance.now());
      await store.createMessage({
        id,
        callId: `call-${label}-${i}`,
        campaignId: 'bench',
        to: number(i),
        body: BODY,
        gateway: gateway.name,
        fallbackGateway: null,
        segments: 1,
        encoding: 'GSM-7',
        createdAt: new Date().toISOString(),
      });
      if (mode === 'sendNow') firstAttempts.push(dispatcher.sendNow(id, 0));
    }
    if (mode === 'backlog') dispatcher.kick();
    await Promise.all(firstAttempts);
    await waitUntilAccepted(fake, submittedAt.keys(), 600_000);
    await dispatcher.stop();
    const depth = await store.outboxDepth();
    if (depth.queued !== 0) throw new Error(`${label}: ${depth.queued} messages still queued`);
    return summarise(fake, submittedAt, gateway.requestMs, duplicatesBefore);
  } finally {
    await dispatcher.stop();
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------

function row(name: string, r: RunResult): string {
  const cells = [
    name.padEnd(44),
    String(r.messagesPerSecond).padStart(6),
    (r.ratioToCeiling === undefined ? '' : r.ratioToCeiling.toFixed(2)).padStart(6),
    `${r.submitToAcceptMs.p50} / ${r.submitToAcceptMs.p99}`.padStart(18),
    `${r.vendorRequestMs.p50} / ${r.vendorRequestMs.p99}`.padStart(14),
    String(r.meanInFlight).padStart(10),
  ];
  return cells.join('  ');
}

async function main(): Promise<void> {
  const fake = await startFakeGateway(DELAY_MS);
  try {
    // A short warm-up so that JIT and connection set-up do not land in the first run.
    await new WebhookGateway({ url: fake.url, secret: SECRET }).send(
      { id: 'warm-up', to: number(0), body: BODY },
      new AbortController().signal,
    );

    const runs: Record<string, RunResult> = {};
    runs.ceiling = await ceiling(fake);
    runs.outboxBacklogFastPoll = await outbox(fake, 'backlog-fast', 'backlog', FAST_POLL_MS);
    runs.outboxBacklogDefaultPoll = await outbox(fake, 'backlog-default', 'backlog');
    runs.outboxSendNow = await outbox(fake, 'send-now', 'sendNow');
    const ceilingRate = runs.ceiling.messagesPerSecond;
    for (const [name, r] of Object.entries(runs)) {
      if (name !== 'ceiling') r.ratioToCeiling = Number((r.messagesPerSecond / ceilingRate).toFixed(2));
    }

    const cpus = os.cpus();
    const results = {
      machine: {
        cpu: cpus[0]?.model ?? 'unknown CPU',
        cores: cpus.length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.version,
      },
      settings: {
        messages: MESSAGES,
        concurrency: CONCURRENCY,
        gatewayDelayMs: DELAY_MS,
        fastPollMs: FAST_POLL_MS,
        outbox: SETTINGS,
      },
      runs,
    };
    fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-artifacts/bench-dispatch.json'), `${JSON.stringify(results, null, 2)}\n`);

    const m = results.machine;
    process.stdout.write(
      [
        `${MESSAGES} messages, concurrency ${CONCURRENCY}, gateway answers in ${DELAY_MS} ms; ${m.cpu} × ${m.cores}, node ${m.node}`,
        '',
        `${'run'.padEnd(44)}  ${'msg/s'.padStart(6)}  ${'×ceil'.padStart(6)}  ${'submit→accept ms'.padStart(18)}  ${'request ms'.padStart(14)}  ${'in flight'.padStart(10)}`,
        row('ceiling: adapter called directly', runs.ceiling),
        row(`outbox backlog, poll ${FAST_POLL_MS} ms`, runs.outboxBacklogFastPoll),
        row('outbox backlog, default poll', runs.outboxBacklogDefaultPoll),
        row('outbox, each message through sendNow(id, 0)', runs.outboxSendNow),
        '',
        '(ms columns: p50 / p99; in the ceiling run every message counts as submitted at the start)',
        'written to test-artifacts/bench-dispatch.json',
        '',
      ].join('\n'),
    );
    const duplicates = Object.values(runs).reduce((n, r) => n + r.duplicates, 0);
    if (duplicates) throw new Error(`${duplicates} messages were accepted more than once`);
  } finally {
    await fake.close();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? (err as Error).message}\n`);
  process.exit(1);
});
