/**
 * Crash safety of the outbox with a real server process: callers are told "sent" or "on
 * its way" while the in-house gateway hangs, the process is SIGKILLed with requests in
 * flight, and a restart on the same data folder sends every text exactly once.
 *
 * "Exactly once" is what the gateway accepted (answered 2xx to): a request it never
 * answered was not a send, so trying that message again after the restart is not a
 * duplicate. Accepting one message id twice would be.
 */
import { json, type FakeReply } from './fakes/fake-server';
import { startFakeWebhookGateway, type FakeWebhookGateway } from './fakes/webhook';
import {
  ServerProcess,
  cleanUpProcesses,
  localServerEnv,
  filledSubmit,
  freePort,
  getDocument,
  listMessages,
  press,
  waitUntilAnswering,
  type MessageView,
} from './helpers/server-process';

jest.setTimeout(90_000);

const ADMIN_TOKEN = 'outbox-restart-admin-token-0123';
const WEBHOOK_SECRET = 'outbox-restart-webhook-secret';
const DNIS = '+18005550100';
const CALLS = 40;
const ACCEPTED_BEFORE_KILL = 10;
const BATCH = 5;
const ATTEMPT_TIMEOUT_MS = 2_000;

const SENT_PROMPT = "We've sent you a text.";
const PENDING_PROMPT = 'Your text is on its way.';

let gateway: FakeWebhookGateway | undefined;

afterEach(async () => {
  await cleanUpProcesses();
  await gateway?.close();
  gateway = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value; fails with `describe()` after `ms`. */
async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>, describe: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${describe()}`);
    await sleep(100);
  }
}

/** One whole deflection: the offer, 1 to accept, 1 to confirm the calling number. Returns the last document. */
async function deflect(baseUrl: string, ani: string): Promise<string> {
  const startUrl = `${baseUrl}/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=${encodeURIComponent(ani)}&callid=restart-${ani.slice(-4)}`;
  const offer = await getDocument(startUrl);
  const offerSubmit = filledSubmit(offer, startUrl);
  const confirm = await press(offerSubmit, '1');
  const confirmSubmit = filledSubmit(confirm, offerSubmit.url);
  return press(confirmSubmit, '1');
}

it('a SIGKILL with vendor requests in flight loses no text and sends none twice', async () => {
  // The gateway's bookkeeping: how many 2xx answers each of our message ids got, and
  // when each request that it left hanging arrived.
  const acceptances = new Map<string, number>();
  const hungAt: number[] = [];
  const accept = (id: string): FakeReply => {
    acceptances.set(id, (acceptances.get(id) ?? 0) + 1);
    return json(200, { id: `gw-${id}-${acceptances.get(id)}` });
  };
  // Phase 1: the first ACCEPTED_BEFORE_KILL distinct ids are accepted; everything after
  // that hangs (no answer ever: the server's per-attempt timeout has to fire).
  gateway = await startFakeWebhookGateway(WEBHOOK_SECRET, (message) => {
    if (acceptances.has(message.id) || acceptances.size < ACCEPTED_BEFORE_KILL) return accept(message.id);
    hungAt.push(Date.now());
    return { status: 200, hang: true };
  });
  const fake = gateway;

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = localServerEnv(port, ADMIN_TOKEN, {
    SMS_GATEWAY: 'webhook',
    SMS_WEBHOOK_URL: `${fake.url}/messages`,
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SMS_CALLER_WAIT_MS: '200',
    SMS_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
    SMS_RETRY_BASE_MS: '200',
    SMS_CONCURRENCY: '8',
  });

  // ---- Phase 1: 40 callers, in small concurrent batches, while the gateway goes quiet.
  const first = new ServerProcess(env);
  await waitUntilAnswering(first, baseUrl);
  // Each caller in a number range of its own, as real callers are (the pumping guard allows
  // five texts a range in ten minutes).
  const anis = Array.from({ length: CALLS }, (_, i) => `+1617${200 + i}${2000 + i}`);
  const endings: string[] = [];
  for (let i = 0; i < anis.length; i += BATCH) {
    endings.push(...(await Promise.all(anis.slice(i, i + BATCH).map((ani) => deflect(baseUrl, ani)))));
  }
  // Every caller hears a good ending: sent (the gateway accepted it while they waited) or
  // on its way (still in the outbox). None is handed back or told it failed.
  expect(endings.filter((xml) => !xml.includes(SENT_PROMPT) && !xml.includes(PENDING_PROMPT))).toEqual([]);
  const toldSent = endings.filter((xml) => xml.includes(SENT_PROMPT)).length;
  const toldPending = CALLS - toldSent;
  // Only ACCEPTED_BEFORE_KILL texts were ever accepted in this phase.
  expect(toldSent).toBeLessThanOrEqual(ACCEPTED_BEFORE_KILL);

  // The accepted ones are recorded as sent, and the gateway holds requests it has not
  // answered: one that arrived less than the attempt timeout ago is still waited on.
  const beforeKill = await waitFor(
    `${ACCEPTED_BEFORE_KILL} messages sent and a request hanging`,
    15_000,
    async () => {
      const messages = await listMessages(baseUrl, ADMIN_TOKEN, 500);
      const sent = messages.filter((m) => m.status === 'sent').length;
      const hanging = hungAt.filter((at) => Date.now() - at < ATTEMPT_TIMEOUT_MS - 500).length;
      return messages.length === CALLS && sent === ACCEPTED_BEFORE_KILL && hanging > 0 ? messages : undefined;
    },
    () => first.output(),
  );
  expect(beforeKill.filter((m) => m.status === 'failed')).toEqual([]);
  expect(acceptances.size).toBe(ACCEPTED_BEFORE_KILL);

  expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });
  const hungBeforeKill = hungAt.length;

  // ---- Phase 2: the gateway is back; a new process on the same data folder.
  fake.respond((message) => accept(message.id));
  const restartedAt = Date.now();
  const second = new ServerProcess(env);
  await waitUntilAnswering(second, baseUrl);
  // Leases taken by the dead process run out (attempt timeout + margin), then the
  // restarted outbox sends what is left.
  const afterRestart = await waitFor(
    `all ${CALLS} messages sent after the restart`,
    30_000,
    async () => {
      const messages = await listMessages(baseUrl, ADMIN_TOKEN, 500);
      return messages.length === CALLS && messages.every((m) => m.status !== 'queued') ? messages : undefined;
    },
    () => second.output(),
  );
  const allSentMs = Date.now() - restartedAt;

  const byStatus = (messages: MessageView[], status: string) => messages.filter((m) => m.status === status);
  expect(byStatus(afterRestart, 'failed')).toEqual([]);
  expect(byStatus(afterRestart, 'sent')).toHaveLength(CALLS);
  // One text per caller, to the number they called from.
  expect(new Set(afterRestart.map((m) => m.to))).toEqual(new Set(anis));

  // The gateway accepted every one of our messages, and none of them twice.
  const ids = afterRestart.map((m) => m.id);
  const neverAccepted = ids.filter((id) => !acceptances.has(id));
  const duplicates = [...acceptances.entries()].filter(([, count]) => count > 1).map(([id]) => id);
  const strangers = [...acceptances.keys()].filter((id) => !ids.includes(id));
  const sentBeforeKill = byStatus(beforeKill, 'sent').length;
  console.log(
    `restart: ${CALLS} messages, ${sentBeforeKill} sent before the kill, ${CALLS - sentBeforeKill} after restart ` +
      `(all sent ${allSentMs} ms after the restart), ${duplicates.length} duplicates; ` +
      `callers told sent ${toldSent}, on its way ${toldPending}; ${hungBeforeKill} requests left hanging before the kill`,
  );
  expect(neverAccepted).toEqual([]);
  expect(strangers).toEqual([]);
  expect(duplicates).toEqual([]);
  // Each message records the gateway's id from its one acceptance.
  expect(afterRestart.filter((m) => m.vendorMessageId !== `gw-${m.id}-1`)).toEqual([]);
});
