/**
 * Graceful shutdown of a real server process (SIGTERM): the request in flight finishes,
 * no new connection is accepted, the outbox finishes its send or hands it back, and the
 * process exits 0. A text handed back is sent by the next start, once.
 */
import net from 'node:net';
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
} from './helpers/server-process';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'shutdown-admin-token-0123456789';
const WEBHOOK_SECRET = 'shutdown-webhook-secret';
const DNIS = '+18005550100';

let gateway: FakeWebhookGateway | undefined;
afterEach(async () => {
  await cleanUpProcesses();
  await gateway?.close();
  gateway = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server texting through the fake webhook gateway; `extra` sets its timings. */
function serverEnv(port: number, extra: Record<string, string>): Record<string, string> {
  return localServerEnv(port, ADMIN_TOKEN, {
    SMS_GATEWAY: 'webhook',
    SMS_WEBHOOK_URL: `${gateway?.url}/messages`,
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SMS_RETRY_BASE_MS: '200',
    ...extra,
  });
}

/** Start and accept: returns where the caller's "1, that number" goes. */
async function upToConfirm(baseUrl: string, ani: string) {
  const startUrl = `${baseUrl}/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=${encodeURIComponent(ani)}&callid=shutdown-${ani.slice(-4)}`;
  const offer = await getDocument(startUrl);
  const offerSubmit = filledSubmit(offer, startUrl);
  const confirm = await press(offerSubmit, '1');
  return filledSubmit(confirm, offerSubmit.url);
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

it('SIGTERM: /readyz answers 503 draining on new connections for SHUTDOWN_DRAIN_MS while calls are still served, then the listener closes', async () => {
  gateway = await startFakeWebhookGateway(WEBHOOK_SECRET, (message): FakeReply => json(200, { id: `gw-${message.id}` }));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Long enough that a busy machine still gets its requests in; the test ends with the exit.
  const server = new ServerProcess(serverEnv(port, { SHUTDOWN_DRAIN_MS: '8000', SHUTDOWN_GRACE_MS: '2000' }));
  await waitUntilAnswering(server, baseUrl);
  expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);

  server.signal('SIGTERM');
  // What a load balancer sees: the answer changes to 503 draining; the connection is never refused.
  let ready = await fetch(`${baseUrl}/readyz`);
  while (ready.status === 200) {
    await sleep(50);
    ready = await fetch(`${baseUrl}/readyz`);
  }
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'draining' });
  expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
  // A call that still arrives is served whole.
  const confirmSubmit = await upToConfirm(baseUrl, '+16175553003');
  expect(await press(confirmSubmit, '1')).toContain("We've sent you a text.");

  expect(await server.exitWithin(30_000)).toEqual({ code: 0, signal: null });
  expect(await connects(port)).toBe(false);
});

it('SIGTERM lets the caller waiting on the gateway hear "sent", refuses new connections and exits 0', async () => {
  const received: string[] = [];
  gateway = await startFakeWebhookGateway(WEBHOOK_SECRET, (message): FakeReply => {
    received.push(message.id);
    // Slow, but within the caller's wait and the shutdown grace.
    return { ...json(200, { id: `gw-${message.id}` }), delayMs: 1_500 };
  });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = new ServerProcess(
    // The caller's wait at its most (10 s) so that a busy machine still fits the send in it.
    serverEnv(port, { SMS_CALLER_WAIT_MS: '10000', SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_GRACE_MS: '8000' }),
  );
  await waitUntilAnswering(server, baseUrl);
  const confirmSubmit = await upToConfirm(baseUrl, '+16175553001');

  const ending = press(confirmSubmit, '1');
  while (received.length === 0) await sleep(20); // the send is at the gateway now
  server.signal('SIGTERM');
  await sleep(200);
  expect(await connects(port)).toBe(false);

  expect(await ending).toContain("We've sent you a text.");
  expect(await server.exitWithin(10_000)).toEqual({ code: 0, signal: null });
  expect(server.stdout).toContain('shutdown complete');
  expect(received).toHaveLength(1);
});

it('a send still hanging at the deadline is handed back, and the next start sends it once', async () => {
  let hanging = true;
  const accepted = new Map<string, number>();
  gateway = await startFakeWebhookGateway(WEBHOOK_SECRET, (message): FakeReply => {
    if (hanging) return { status: 200, hang: true };
    accepted.set(message.id, (accepted.get(message.id) ?? 0) + 1);
    return json(200, { id: `gw-${message.id}` });
  });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // The attempt's own timeout is far away: only the shutdown deadline can end it.
  const settings = { SMS_CALLER_WAIT_MS: '300', SMS_ATTEMPT_TIMEOUT_MS: '60000', SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_GRACE_MS: '1500' };
  const env = serverEnv(port, settings);
  const first = new ServerProcess(env);
  await waitUntilAnswering(first, baseUrl);
  const confirmSubmit = await upToConfirm(baseUrl, '+16175553002');
  expect(await press(confirmSubmit, '1')).toContain('Your text is on its way.');

  first.signal('SIGTERM');
  // The deadline (1.5 s) handed the attempt back: the log says so, and the process exits
  // long before the attempt's own 60 s timeout could have ended it (the bound only tells
  // those two apart; it is not a speed check).
  expect(await first.exitWithin(45_000)).toEqual({ code: 0, signal: null });
  expect(first.stdout).toContain('handed back at shutdown');

  hanging = false;
  // The same data folder: the restart finds the text it handed back.
  const second = new ServerProcess(env);
  await waitUntilAnswering(second, baseUrl);
  // A hang guard, not a speed check: the outbox sends it at its first poll.
  const deadline = Date.now() + 50_000;
  let messages = await listMessages(baseUrl, ADMIN_TOKEN);
  while (messages[0]?.status !== 'sent' && Date.now() < deadline) {
    await sleep(100);
    messages = await listMessages(baseUrl, ADMIN_TOKEN);
  }
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatchObject({ status: 'sent', to: '+16175553002' });
  // The handed-back attempt did not use up one of the message's attempts.
  expect(messages[0]?.attempts).toBe(1);
  expect([...accepted.values()]).toEqual([1]);
});
