/**
 * A crash in the middle of a rush: 1,000 whole deflections (start, accept, confirm), 100
 * callers at a time, each from a number of its own, spread over one campaign per gateway
 * in VENDORS, each texting through a local fake of its vendor (speaking its documented
 * wire format, answering after 20 to 80 ms as a real API does, and honouring the vendor's
 * documented idempotency or message lookup). The server is SIGKILLed once 400 of them are
 * done, with calls and vendor requests in flight, and a new process is started on the
 * same data folder; the rest of the burst goes to it.
 *
 * The README's promise (Sending texts, The outbox; Resend guarantee per vendor): a crash
 * loses nothing; a text whose answer was lost in the crash is not resent before its vendor
 * is asked, so a vendor with a lookup or idempotency gets each text once ("effectively
 * once"); a vendor with neither may get a text twice, at most as many as the vendor
 * requests in flight at the kill (SMS_CONCURRENCY bounds those), "at least once".
 *
 * Each vendor helper adds its entry: `{ gateway, guarantee, startCrashFake }`, where
 * startCrashFake is its fake module's start<Vendor>CrashFake().
 */
import fs from 'node:fs';
import path from 'node:path';
import { startAmazonCrashFake } from '../fakes/amazon';
import { startClickatellCrashFake } from '../fakes/clickatell';
import { startInfobipCrashFake } from '../fakes/infobip';
import { startPlivoCrashFake } from '../fakes/plivo';
import { startSinchCrashFake } from '../fakes/sinch';
import { startTelnyxCrashFake } from '../fakes/telnyx';
import { startTwilioCrashFake } from '../fakes/twilio';
import { startVonageCrashFake } from '../fakes/vonage';
import { cleanUpProcesses, tempDir } from '../helpers/server-process';
import {
  PENDING_PROMPT,
  SENT_PROMPT,
  callerNumber,
  deflect,
  envNumber,
  inPool,
  latency,
  messages,
  restartServer,
  startServer,
  waitFor,
  type DeflectionStep,
  type MessageView,
  type RunningServer,
  bulkTextingEnv,
} from './support';

/** A vendor's fake as each fake module's start<Vendor>CrashFake() starts it. */
interface CrashFake {
  url: string;
  /** The server environment that points the vendor's gateway at the fake. */
  env: Record<string, string>;
  /** Texts the real vendor would have delivered to the number (a deduplicated resend counts once). */
  deliveredTo(number: string): number;
  close(): Promise<void>;
}

interface CrashVendor {
  /** The gateway name (SMS_GATEWAY, a campaign's "gateway"). */
  gateway: string;
  /** What the README promises for it: effectively once needs 0 duplicates. */
  guarantee: 'effectively once' | 'at least once';
  /** How: "lookup by To, From, body and time", "idempotency by client reference", or why neither. */
  how: string;
  startCrashFake(): Promise<CrashFake>;
}

const VENDORS: CrashVendor[] = [
  { gateway: 'twilio', guarantee: 'effectively once', how: 'lookup: Message list by To, matched on body and time', startCrashFake: startTwilioCrashFake },
  { gateway: 'plivo', guarantee: 'effectively once', how: 'lookup: Message list by recipient, sender and time', startCrashFake: startPlivoCrashFake },
  { gateway: 'sinch', guarantee: 'effectively once', how: 'lookup: batch list by client_reference', startCrashFake: startSinchCrashFake },
  { gateway: 'infobip', guarantee: 'effectively once', how: 'idempotency: our messageId, a repeat refused as a duplicate', startCrashFake: startInfobipCrashFake },
  { gateway: 'vonage', guarantee: 'at least once', how: 'client-ref is kept, not deduplicated; no reliable lookup', startCrashFake: startVonageCrashFake },
  { gateway: 'clickatell', guarantee: 'at least once', how: 'no deduplication, lookup only by its own id', startCrashFake: startClickatellCrashFake },
  { gateway: 'telnyx', guarantee: 'at least once', how: 'no idempotency key, lookup only by its own id', startCrashFake: startTelnyxCrashFake },
  { gateway: 'amazon', guarantee: 'at least once', how: 'SendTextMessage takes no client token; no lookup', startCrashFake: startAmazonCrashFake },
];

const DEFLECTIONS = envNumber('FAULTS_BURST_DEFLECTIONS', 1_000);
const CALLERS_AT_ONCE = 100;
const KILL_AFTER = Math.floor(DEFLECTIONS * 0.4);
const ATTEMPT_TIMEOUT_MS = 2_000;
/** The lease a dead process leaves on a message: the attempt timeout plus the outbox's 5 s margin. */
const LEASE_MS = ATTEMPT_TIMEOUT_MS + 5_000;
/** The outbox's default: no more vendor requests than this are ever in flight at once. */
const CONCURRENCY = 16;

type Outcome =
  | { kind: 'sent' | 'pending'; ms: number }
  | { kind: 'dropped'; step: DeflectionStep; error: string }
  | { kind: 'unexpected'; xml: string };

const fakes: CrashFake[] = [];

afterAll(async () => {
  await cleanUpProcesses();
  await Promise.all(fakes.map((f) => f.close()));
});

/** One campaign per vendor: a copy of the bulk-texting example with its own number and gateway. */
function campaignsFor(vendors: readonly CrashVendor[]): { dir: string; dnis: string[] } {
  const bulk = bulkTextingEnv().CAMPAIGNS_DIR as string;
  const base = JSON.parse(fs.readFileSync(path.join(bulk, 'example.json'), 'utf8')) as Record<string, unknown>;
  const dir = tempDir('crash-campaigns');
  const dnis = vendors.map((_, i) => `+1800555${String(200 + i).padStart(4, '0')}`);
  vendors.forEach((v, i) => {
    const campaign = { ...base, id: `crash-${v.gateway}`, name: `Crash ${v.gateway}`, dnis: [dnis[i]], gateway: v.gateway, fallbackGateway: 'none' };
    fs.writeFileSync(path.join(dir, `crash-${v.gateway}.json`), JSON.stringify(campaign));
  });
  return { dir, dnis };
}

it(`loses no text and sends none twice through vendors with a lookup or idempotency after a SIGKILL in the middle of ${DEFLECTIONS} deflections`, async () => {
  const started = await Promise.all(VENDORS.map((v) => v.startCrashFake()));
  fakes.push(...started);
  const campaigns = campaignsFor(VENDORS);

  let server: RunningServer = await startServer({
    ...bulkTextingEnv(),
    ...Object.assign({}, ...started.map((f) => f.env)),
    CAMPAIGNS_DIR: campaigns.dir,
    SMS_GATEWAY: (VENDORS[0] as CrashVendor).gateway,
    SMS_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
    SMS_RETRY_BASE_MS: '200',
    SMS_CONCURRENCY: String(CONCURRENCY),
  });
  const numbers = Array.from({ length: DEFLECTIONS }, (_, i) => callerNumber(0, i));
  /** Callers take turns over the vendors' campaigns. */
  const vendorOf = (i: number) => i % VENDORS.length;

  // ---- The burst, with the kill and the restart in the middle of it.
  const outcomes: Outcome[] = [];
  const stepOf = new Map<number, DeflectionStep>();
  let done = 0;
  let kill: { signalledAt: number; deadAt: number; steps: Map<DeflectionStep, number> } | undefined;
  let restartedAt = 0;
  let serverBack: Promise<void> = Promise.resolve();

  const crashAndRestart = async () => {
    const signalledAt = Date.now();
    const steps = new Map<DeflectionStep, number>();
    for (const step of stepOf.values()) steps.set(step, (steps.get(step) ?? 0) + 1);
    expect(await server.process.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    kill = { signalledAt, deadAt: Date.now(), steps };
    server = await restartServer(server);
    restartedAt = Date.now();
  };

  const burstStarted = Date.now();
  await inPool(numbers, CALLERS_AT_ONCE, async (ani, i) => {
    // Callers arriving while the server is down wait for it (their IVR would queue them).
    await serverBack;
    const began = Date.now();
    try {
      const xml = await deflect(server.baseUrl, ani, (step) => stepOf.set(i, step), campaigns.dnis[vendorOf(i)]);
      outcomes[i] = xml.includes(SENT_PROMPT)
        ? { kind: 'sent', ms: Date.now() - began }
        : xml.includes(PENDING_PROMPT)
          ? { kind: 'pending', ms: Date.now() - began }
          : { kind: 'unexpected', xml };
    } catch (err) {
      outcomes[i] = { kind: 'dropped', step: stepOf.get(i) ?? 'start', error: (err as Error).message };
    }
    stepOf.delete(i);
    if (++done === KILL_AFTER) serverBack = crashAndRestart();
  });
  await serverBack;
  const burstMs = Date.now() - burstStarted;
  if (!kill) throw new Error('the burst ended before the kill');

  // ---- The restarted outbox sends what is left (after the dead process's leases run out).
  await waitFor(
    'the outbox to drain after the restart',
    LEASE_MS + 60_000,
    async () => ((await messages(server.baseUrl, { status: 'queued', limit: '1' })).length === 0 ? true : undefined),
    () => server.process.output(),
  );
  const drainedMs = Date.now() - restartedAt;

  // Each number was called once, so its messages are that call's text.
  const stored = new Map<string, MessageView[]>();
  await inPool(numbers, 20, async (to) => {
    stored.set(to, await messages(server.baseUrl, { number: to }));
  });
  const told = (kind: Outcome['kind']) => numbers.filter((_, i) => outcomes[i]?.kind === kind);
  const dropped = outcomes.filter((o): o is Extract<Outcome, { kind: 'dropped' }> => o.kind === 'dropped');
  const allMessages = [...stored.values()].flat();
  const callMs = outcomes.flatMap((o) => ('ms' in o ? [o.ms] : []));

  // Per vendor: its callers, the texts its fake delivered, lost and duplicated ones.
  const figures = VENDORS.map((vendor, v) => {
    const fake = started[v] as CrashFake;
    const callers = numbers.filter((_, i) => vendorOf(i) === v);
    const promised = callers.filter((to) => ['sent', 'pending'].includes(outcomes[numbers.indexOf(to)]?.kind ?? ''));
    const lost = promised.filter((to) => fake.deliveredTo(to) === 0);
    const duplicates = callers.reduce((n, to) => n + Math.max(0, fake.deliveredTo(to) - 1), 0);
    const delivered = callers.reduce((n, to) => n + fake.deliveredTo(to), 0);
    // Texts the vendor delivered to callers who have no stored message: none may exist.
    const strays = callers.filter((to) => fake.deliveredTo(to) > 0 && !stored.get(to)?.length);
    return { vendor, callers: callers.length, promised: promised.length, delivered, lost, duplicates, strays };
  });

  console.log(
    [
      `crash burst: ${DEFLECTIONS} deflections over ${VENDORS.map((v) => v.gateway).join(', ')}, ${CALLERS_AT_ONCE} at a time, in ${(burstMs / 1000).toFixed(1)} s; SIGKILL after ${KILL_AFTER} (${kill.signalledAt - burstStarted} ms in), restarted in ${restartedAt - kill.deadAt} ms`,
      `  in flight at the kill: calls at start ${kill.steps.get('start') ?? 0}, at accept ${kill.steps.get('offer') ?? 0}, at confirm ${kill.steps.get('confirm') ?? 0}`,
      `  callers told "sent" ${told('sent').length}, "on its way" ${told('pending').length}; calls dropped by the crash ${dropped.length}; whole call ${latency(callMs)}`,
      `  messages stored ${allMessages.length}: ${['sent', 'queued', 'failed'].map((s) => `${s} ${allMessages.filter((m) => m.status === s).length}`).join(', ')}; outbox drained ${drainedMs} ms after the restart`,
      ...figures.map(
        (f) =>
          `  ${f.vendor.gateway} (${f.vendor.guarantee}: ${f.vendor.how}): ${f.callers} callers, ${f.promised} told sent or on its way, ${f.delivered} texts delivered; lost ${f.lost.length}, duplicates ${f.duplicates}` +
          (f.vendor.guarantee === 'at least once' ? ` (bounded by the ${CONCURRENCY} vendor requests that can be in flight at the kill)` : ''),
      ),
    ].join('\n'),
  );

  // Every call that got an answer ended well; the crash cut off only calls in flight at the kill.
  expect(outcomes.filter((o) => o.kind === 'unexpected')).toEqual([]);
  expect(outcomes).toHaveLength(DEFLECTIONS);
  expect(dropped.length).toBeLessThanOrEqual([...kill.steps.values()].reduce((n, c) => n + c, 0));
  // Every caller told "sent" or "on its way" has one stored message, and it was sent.
  expect([...told('sent'), ...told('pending')].filter((to) => stored.get(to)?.length !== 1)).toEqual([]);
  expect(allMessages.filter((m) => m.status !== 'sent' || !m.vendorMessageId)).toEqual([]);

  for (const f of figures) {
    const name = f.vendor.gateway;
    // Nothing lost: every promised text reached the vendor; the vendor got nothing that is not one of our messages.
    expect({ name, lost: f.lost }).toEqual({ name, lost: [] });
    expect({ name, strays: f.strays }).toEqual({ name, strays: [] });
    if (f.vendor.guarantee === 'effectively once') expect({ name, duplicates: f.duplicates }).toEqual({ name, duplicates: 0 });
    else expect(f.duplicates).toBeLessThanOrEqual(CONCURRENCY);
  }
});
