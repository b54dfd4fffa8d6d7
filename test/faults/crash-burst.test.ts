/**
 * A crash in the middle of a rush: 1,000 whole deflections (start, accept, confirm), 100
 * callers at a time, each from a number of its own, texted through Twilio (a local fake
 * speaking its wire format, answering after 20 to 80 ms as a real API does). The server
 * is SIGKILLed once 400 of them are done, with calls and vendor requests in flight, and a
 * new process is started on the same data folder; the rest of the burst goes to it.
 *
 * The README's promise (Sending texts, The outbox): "a crash loses nothing ... A vendor
 * that accepted a text in the instant before a crash may get it a second time; nothing
 * else is sent twice." So: every caller told "sent" or "on its way" gets a text; every
 * stored message ends sent; and each duplicate is a text whose vendor request was in
 * flight at the kill, whose acceptance the dead process never recorded.
 */
import { acceptTwilioMessage, startFakeTwilio, TWILIO_ACCOUNT, type FakeTwilio } from '../fakes/twilio';
import { cleanUpProcesses } from '../helpers/server-process';
import {
  PENDING_PROMPT,
  Rng,
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

const DEFLECTIONS = envNumber('FAULTS_BURST_DEFLECTIONS', 1_000);
const CALLERS_AT_ONCE = 100;
const KILL_AFTER = Math.floor(DEFLECTIONS * 0.4);
const ATTEMPT_TIMEOUT_MS = 2_000;
/** The lease a dead process leaves on a message: the attempt timeout plus the outbox's 5 s margin. */
const LEASE_MS = ATTEMPT_TIMEOUT_MS + 5_000;
/**
 * How long before the kill an acceptance may have been answered and still not be
 * recorded: the server reads the answer and writes it to SQLite within milliseconds, so
 * a second is "the instant before a crash" with room for a loaded machine.
 */
const UNRECORDED_WINDOW_MS = 1_000;

/** One text the fake Twilio accepted (answered 201 to, whether or not anyone read the answer). */
interface Acceptance {
  to: string;
  sid: string;
  arrivedAt: number;
  answeredAt: number;
}

type Outcome =
  | { kind: 'sent' | 'pending'; ms: number }
  | { kind: 'dropped'; step: DeflectionStep; error: string }
  | { kind: 'unexpected'; xml: string };

let twilio: FakeTwilio | undefined;

afterAll(async () => {
  await cleanUpProcesses();
  await twilio?.close();
});

it(`sends every accepted text after a SIGKILL in the middle of ${DEFLECTIONS} deflections, duplicating only those in flight`, async () => {
  const acceptances: Acceptance[] = [];
  const rng = new Rng(7);
  twilio = await startFakeTwilio(TWILIO_ACCOUNT, (req) => {
    const reply = acceptTwilioMessage(req);
    const delayMs = rng.int(20, 80);
    const arrivedAt = Date.now();
    if (reply.status === 201) {
      const { sid, to } = JSON.parse(reply.body ?? '{}') as { sid: string; to: string };
      acceptances.push({ to, sid, arrivedAt, answeredAt: arrivedAt + delayMs });
    }
    return { ...reply, delayMs };
  });

  let server: RunningServer = await startServer({
    ...bulkTextingEnv(),
    SMS_GATEWAY: 'twilio',
    TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
    TWILIO_FROM: '+15005550006',
    TWILIO_BASE_URL: twilio.url,
    SMS_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
    SMS_RETRY_BASE_MS: '200',
  });
  const numbers = Array.from({ length: DEFLECTIONS }, (_, i) => callerNumber(0, i));

  // ---- The burst, with the kill and the restart in the middle of it.
  const outcomes: Outcome[] = [];
  const stepOf = new Map<number, DeflectionStep>();
  let done = 0;
  // The kill: when the signal went, when the process was seen dead, and the calls in flight.
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
      const xml = await deflect(server.baseUrl, ani, (step) => stepOf.set(i, step));
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
  const { signalledAt, deadAt } = kill;

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
  const acceptedTo = new Map<string, Acceptance[]>();
  for (const a of acceptances) acceptedTo.set(a.to, [...(acceptedTo.get(a.to) ?? []), a]);

  const told = (kind: Outcome['kind']) => numbers.filter((_, i) => outcomes[i]?.kind === kind);
  const toldSent = told('sent');
  const toldPending = told('pending');
  const dropped = outcomes.filter((o): o is Extract<Outcome, { kind: 'dropped' }> => o.kind === 'dropped');
  const droppedAtConfirm = numbers.filter((_, i) => {
    const outcome = outcomes[i];
    return outcome?.kind === 'dropped' && outcome.step === 'confirm';
  });
  const allMessages = [...stored.values()].flat();
  const duplicates = [...acceptedTo.entries()].filter(([, list]) => list.length > 1);
  const firstAnswered = duplicates.map(([, [first]]) => (first as Acceptance).answeredAt - signalledAt);
  const callMs = outcomes.flatMap((o) => ('ms' in o ? [o.ms] : []));
  // Acceptances the dying process may never have recorded: requests that reached the fake
  // before the process was seen dead (counted only now: the fake reads requests already on
  // the wire after the kill) and were answered after the signal, or just before it.
  const fromDyingProcess = acceptances.filter((a) => a.arrivedAt < deadAt);
  const unansweredAtKill = fromDyingProcess.filter((a) => a.answeredAt >= signalledAt).length;
  const answeredJustBefore = fromDyingProcess.filter((a) => a.answeredAt < signalledAt && a.answeredAt >= signalledAt - UNRECORDED_WINDOW_MS).length;

  console.log(
    [
      `crash burst: ${DEFLECTIONS} deflections, ${CALLERS_AT_ONCE} at a time, in ${(burstMs / 1000).toFixed(1)} s; SIGKILL after ${KILL_AFTER} (${signalledAt - burstStarted} ms in), restarted in ${restartedAt - deadAt} ms`,
      `  in flight at the kill: calls at start ${kill.steps.get('start') ?? 0}, at accept ${kill.steps.get('offer') ?? 0}, at confirm ${kill.steps.get('confirm') ?? 0}; Twilio requests ${unansweredAtKill} unanswered, ${answeredJustBefore} answered in the ${UNRECORDED_WINDOW_MS} ms before`,
      `  callers told "sent" ${toldSent.length}, "on its way" ${toldPending.length}; calls dropped by the crash ${dropped.length} (${droppedAtConfirm.length} at confirm, ${droppedAtConfirm.filter((to) => acceptedTo.has(to)).length} of those texted anyway); whole call ${latency(callMs)}`,
      `  messages stored ${allMessages.length}: ${['sent', 'queued', 'failed'].map((s) => `${s} ${allMessages.filter((m) => m.status === s).length}`).join(', ')}; outbox drained ${drainedMs} ms after the restart`,
      `  Twilio accepted ${acceptances.length} requests for ${acceptedTo.size} numbers: ${duplicates.length} duplicates${duplicates.length ? `, their first acceptance answered ${Math.min(...firstAnswered)} to ${Math.max(...firstAnswered)} ms from the signal` : ''}`,
    ].join('\n'),
  );

  // Every call that got an answer ended well; the crash cut off only calls in flight at the kill.
  expect(outcomes.filter((o) => o.kind === 'unexpected')).toEqual([]);
  expect(outcomes).toHaveLength(DEFLECTIONS);
  expect(dropped.length).toBeLessThanOrEqual([...kill.steps.values()].reduce((n, c) => n + c, 0));

  // Every caller told "sent" or "on its way" got a text, through the message stored for the call.
  expect([...toldSent, ...toldPending].filter((to) => !acceptedTo.has(to))).toEqual([]);
  expect([...toldSent, ...toldPending].filter((to) => stored.get(to)?.length !== 1)).toEqual([]);
  // Every stored message was sent (none failed or left behind), and it records one of the
  // vendor's acceptances of it; Twilio got nothing that is not one of our messages.
  expect(allMessages.filter((m) => m.status !== 'sent')).toEqual([]);
  expect(allMessages.filter((m) => !acceptedTo.get(m.to)?.some((a) => a.sid === m.vendorMessageId))).toEqual([]);
  expect([...acceptedTo.keys()].filter((to) => !stored.get(to)?.length)).toEqual([]);

  // Duplicates: at-least-once delivery, only for the instant before the crash. The first
  // acceptance went to the dead process, which never recorded it (the message holds the
  // second); the second came from the restarted one, once the lease ran out.
  for (const [to, list] of duplicates) {
    const [first, second, ...more] = list as [Acceptance, Acceptance, ...Acceptance[]];
    const recorded = stored.get(to)?.[0]?.vendorMessageId;
    expect({ to, more: more.length, recordedFirst: recorded === first.sid }).toEqual({ to, more: 0, recordedFirst: false });
    expect(first.arrivedAt).toBeLessThan(deadAt);
    expect(first.answeredAt).toBeGreaterThanOrEqual(signalledAt - UNRECORDED_WINDOW_MS);
    expect(second.arrivedAt).toBeGreaterThanOrEqual(deadAt);
    expect(recorded).toBe(second.sid);
  }
});
