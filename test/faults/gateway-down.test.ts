/**
 * The SMS gateway down for a minute (FAULTS_GATEWAY_DOWN_MS) while callers keep coming:
 * Twilio (a local fake speaking its wire format) answers 503 for the first half of the
 * outage and refuses connections for the second (the fake is closed, then brought back
 * on the same port). Five new callers a second throughout, each from a number of its own.
 *
 * What the README promises: the caller waits at most SMS_CALLER_WAIT_MS for the first
 * attempt, then hears "Your text is on its way" (status sent, reason queued) while the
 * outbox keeps retrying (What the caller hears; The outbox). So callers during the outage
 * hear "on its way", callers before and after it "We've sent you a text", and once the
 * gateway is back every one of those texts is sent exactly once: no crash here, so no
 * duplicate is allowed.
 */
import { acceptTwilioMessage, startFakeTwilio, TWILIO_ACCOUNT, twilioError, type FakeTwilio } from '../fakes/twilio';
import type { FakeReply, RecordedRequest } from '../fakes/fake-server';
import { cleanUpProcesses } from '../helpers/server-process';
import {
  PENDING_PROMPT,
  SENT_PROMPT,
  callerNumber,
  deflect,
  envNumber,
  inPool,
  latency,
  messages,
  percentile,
  resultOf,
  sleep,
  startServer,
  waitFor,
  type MessageView,
  bulkTextingEnv,
} from './support';

const DOWN_MS = envNumber('FAULTS_GATEWAY_DOWN_MS', 60_000);
const BEFORE_MS = 5_000;
const AFTER_MS = 10_000;
const CALLS_PER_SECOND = 5;
/**
 * Retries at a tenth of the default pace (500 ms doubling rather than 5 s), with attempts
 * enough to outlast the outage at that pace, as the defaults (8 attempts, at least five
 * minutes of retrying) outlast a minute. A message that has been failing since the start
 * of the outage waits up to about as long again after it ends: backoff doubles (±50%).
 */
const RETRY_BASE_MS = 500;
const MAX_ATTEMPTS = 20;
const DRAIN_DEADLINE_MS = 2 * DOWN_MS + 30_000;

interface Call {
  ani: string;
  confirmSentAt?: number;
  answeredAt?: number;
  heard?: 'sent' | 'on its way' | 'something else';
  result?: Record<string, string>;
  error?: string;
}

interface Acceptance {
  to: string;
  sid: string;
  at: number;
}

let twilio: FakeTwilio | undefined;

afterAll(async () => {
  await cleanUpProcesses();
  await twilio?.close();
});

it(`sends every text once the gateway is back after ${DOWN_MS / 1000} s down, callers meanwhile told "on its way"`, async () => {
  const acceptances: Acceptance[] = [];
  let unavailable = false;
  let refusedWith503 = 0;
  const answer = (req: RecordedRequest): FakeReply => {
    if (unavailable) {
      refusedWith503++;
      return twilioError(503, 20503, 'Service Unavailable');
    }
    const reply = acceptTwilioMessage(req);
    if (reply.status === 201) {
      const { sid, to } = JSON.parse(reply.body ?? '{}') as { sid: string; to: string };
      acceptances.push({ sid, to, at: Date.now() });
    }
    return reply;
  };
  twilio = await startFakeTwilio(TWILIO_ACCOUNT, answer);
  const twilioPort = Number(new URL(twilio.url).port);

  const server = await startServer({
    ...bulkTextingEnv(),
    SMS_GATEWAY: 'twilio',
    TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
    TWILIO_FROM: '+15005550006',
    TWILIO_BASE_URL: twilio.url,
    SMS_ATTEMPT_TIMEOUT_MS: '2000',
    SMS_RETRY_BASE_MS: String(RETRY_BASE_MS),
    SMS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  });

  // ---- Callers all along, while the gateway goes down and comes back.
  const calls: Call[] = [];
  const trafficStarts = Date.now();
  const trafficEnds = trafficStarts + BEFORE_MS + DOWN_MS + AFTER_MS;
  const traffic = (async () => {
    const inFlight: Promise<void>[] = [];
    while (Date.now() < trafficEnds) {
      const call: Call = { ani: callerNumber(0, calls.length) };
      calls.push(call);
      inFlight.push(
        deflect(server.baseUrl, call.ani, (step) => {
          if (step === 'confirm') call.confirmSentAt = Date.now();
        }).then(
          (xml) => {
            call.answeredAt = Date.now();
            call.heard = xml.includes(SENT_PROMPT) ? 'sent' : xml.includes(PENDING_PROMPT) ? 'on its way' : 'something else';
            call.result = resultOf(xml);
          },
          (err: Error) => {
            call.error = err.message;
          },
        ),
      );
      await sleep(1000 / CALLS_PER_SECOND);
    }
    await Promise.all(inFlight);
  })();

  await sleep(BEFORE_MS);
  const downAt = Date.now();
  unavailable = true;
  await sleep(DOWN_MS / 2);
  const refusingAt = Date.now();
  await twilio.close();
  await sleep(DOWN_MS / 2);
  unavailable = false;
  twilio = await startFakeTwilio(TWILIO_ACCOUNT, answer, twilioPort);
  const backAt = Date.now();
  await traffic;

  // ---- Every text goes out once the gateway is back.
  await waitFor(
    'every queued text to be sent after the gateway came back',
    DRAIN_DEADLINE_MS,
    async () => ((await messages(server.baseUrl, { status: 'queued', limit: '1' })).length === 0 ? true : undefined),
    () => server.process.output(),
  );
  const drainedMs = Date.now() - backAt;

  const stored = new Map<string, MessageView[]>();
  await inPool(calls, 20, async ({ ani }) => {
    stored.set(ani, await messages(server.baseUrl, { number: ani }));
  });
  const acceptedTo = new Map<string, Acceptance[]>();
  for (const a of acceptances) acceptedTo.set(a.to, [...(acceptedTo.get(a.to) ?? []), a]);
  const allMessages = [...stored.values()].flat();

  // A confirm sent and answered wholly inside the outage, or wholly outside it.
  const during = calls.filter((c) => c.confirmSentAt !== undefined && c.confirmSentAt >= downAt && (c.answeredAt ?? Infinity) < backAt);
  const outside = calls.filter((c) => (c.answeredAt ?? Infinity) < downAt || (c.confirmSentAt ?? 0) >= backAt);
  const heard = (list: Call[]) =>
    ['sent', 'on its way', 'something else'].map((h) => `"${h}" ${list.filter((c) => c.heard === h).length}`).join(', ');
  const afterOutage = acceptances.filter((a) => a.at >= backAt).map((a) => a.at - backAt);
  const attempts = allMessages.map((m) => m.attempts);
  const confirmMs = calls.flatMap((c) => (c.confirmSentAt && c.answeredAt ? [c.answeredAt - c.confirmSentAt] : []));

  console.log(
    [
      `gateway down: ${calls.length} callers over ${((trafficEnds - trafficStarts) / 1000).toFixed(0)} s; Twilio answered 503 for ${((refusingAt - downAt) / 1000).toFixed(1)} s (${refusedWith503} requests), refused connections for ${((backAt - refusingAt) / 1000).toFixed(1)} s`,
      `  callers heard: during the outage ${heard(during)}; before or after it ${heard(outside)}; at its edges ${heard(calls.filter((c) => !during.includes(c) && !outside.includes(c)))}; confirm answered ${latency(confirmMs)}`,
      `  after recovery: ${afterOutage.length} texts accepted, the last ${((Math.max(0, ...afterOutage)) / 1000).toFixed(1)} s after; outbox empty ${(drainedMs / 1000).toFixed(1)} s after; attempts per text p50 ${percentile(attempts, 50)}, max ${percentile(attempts, 100)}`,
      `  messages ${allMessages.length}: ${['sent', 'queued', 'failed'].map((s) => `${s} ${allMessages.filter((m) => m.status === s).length}`).join(', ')}; Twilio accepted ${acceptances.length} for ${acceptedTo.size} numbers`,
    ].join('\n'),
  );

  // Every caller reached the end of the call and was told the text is sent or on its way.
  expect(calls.filter((c) => c.error || c.heard === 'something else')).toEqual([]);
  expect(calls.filter((c) => c.heard === 'sent' && c.result?.reason !== 'accepted')).toEqual([]);
  expect(calls.filter((c) => c.heard === 'on its way' && (c.result?.status !== 'sent' || c.result?.reason !== 'queued'))).toEqual([]);
  // Those during the outage waited no longer than the caller wait, and heard "on its way";
  // those before and after it heard "sent".
  expect(during.length).toBeGreaterThanOrEqual(Math.floor((DOWN_MS / 1000) * CALLS_PER_SECOND * 0.8));
  expect(during.filter((c) => c.heard !== 'on its way')).toEqual([]);
  expect(outside.filter((c) => c.heard !== 'sent')).toEqual([]);
  // The outage was real: the gateway refused the outbox's retries.
  expect(refusedWith503).toBeGreaterThan(0);

  // None lost, none twice: one message per caller, sent, recording Twilio's one acceptance.
  expect(calls.filter((c) => stored.get(c.ani)?.length !== 1)).toEqual([]);
  expect(allMessages.filter((m) => m.status !== 'sent')).toEqual([]);
  expect([...acceptedTo.entries()].filter(([, list]) => list.length > 1).map(([to]) => to)).toEqual([]);
  expect(allMessages.filter((m) => acceptedTo.get(m.to)?.[0]?.sid !== m.vendorMessageId)).toEqual([]);
  expect(acceptances).toHaveLength(calls.length);
});
