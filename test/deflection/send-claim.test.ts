import pino from 'pino';
import request from 'supertest';
import { composeSharedServer, type Server } from '../../src/compose';
import { loadConfig } from '../../src/config';
import type { OutgoingSms, SendOutcome, SmsGateway } from '../../src/sms/port';
import { IvrCaller } from '../helpers/ivr-caller';
import { adminQuery, describePostgres, urlInSchema } from '../helpers/postgres';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * The confirm step claims the call (state "sending") in the transaction that admits its
 * text. Replayed against the real app: a change ("2") racing a confirm ("1") for one call,
 * on SQLite and on two instances sharing one PostgreSQL schema, and a hang-up arriving
 * while the text is being sent. Before the claim, the change could win after the text was
 * admitted, so the caller keyed another number and got a second text in the same call.
 */

const DNIS = '+18005550100';
const MOBILE_ANI = '+16175551234';
// Each round calls from, and keys, numbers of its own: the per-number limits stay out of it.
const roundAni = (round: number) => `+161755510${String(round).padStart(2, '0')}`;
const roundOtherMobile = (round: number) => `61725390${String(round).padStart(2, '0')}`;
// Those numbers share a range, so the rounds would trip the SMS pumping guard: set as an
// operator texting one exchange a lot would.
const ONE_RANGE = { PUMPING_MAX_PER_RANGE: '1000' };
/** The requests come from loopback as a VoiceXML platform's would: its larger IVR rate budgets. */
const AS_PLATFORM = { IVR_ALLOWED_CIDRS: '127.0.0.0/8,::1' };

function callIdOf(caller: IvrCaller): string {
  const match = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'));
  if (!match?.[1]) throw new Error('no call id in the document');
  return match[1];
}

const post = (app: Server['app'], step: string, callId: string, answer: string) =>
  request(app).post(`/vxml/${step}?call=${callId}&mode=goto`).type('form').send(`answer=${answer}`);

/**
 * One round: a call reaches "we'll text the number you're calling from", then its confirm
 * and a change arrive together (each at its own instance). Whichever wins, the call ends
 * with at most one text, and once a text is admitted the caller cannot key another number.
 */
async function raceConfirmAndChange(round: number, confirmAt: Server, changeAt: Server): Promise<'confirm' | 'change'> {
  const otherMobile = roundOtherMobile(round);
  const start = await request(confirmAt.app).get(`/vxml/start?${new URLSearchParams({ dnis: DNIS, ani: roundAni(round) })}`);
  const callId = /[?&]call=([^&"]+)/.exec(start.text.replace(/&amp;/g, '&'))?.[1] ?? '';
  const accepted = await post(confirmAt.app, 'offer', callId, '1');
  expect(accepted.text).toContain("We'll text the number you're calling from");

  const [confirmed, changed] = await Promise.all([post(confirmAt.app, 'confirm', callId, '1'), post(changeAt.app, 'confirm', callId, '2')]);
  for (const answer of [confirmed, changed]) {
    expect(answer.status).toBe(200);
    answered.set(answer.text.replace(/\d/g, '0'), answer.text);
  }
  const texts = () => confirmAt.store.listMessages({ callId, limit: 10 });
  if ((await texts()).length === 1) {
    // The confirm claimed the call: the change gets the confirm's result, not number entry.
    expect(confirmed.text).toContain("We've sent you a text.");
    expect(changed.text).toBe(confirmed.text);
    const late = await post(changeAt.app, 'number', callId, otherMobile);
    expect(late.text).toBe(confirmed.text);
    expect(await texts()).toHaveLength(1);
    expect((await confirmAt.store.getCall(callId))?.state).toBe('sent');
    return 'confirm';
  }
  // The change came first: no text yet; the confirm answers the page the change left.
  expect(await texts()).toHaveLength(0);
  expect(changed.text).toContain('Please enter');
  expect(confirmed.text).toBe(changed.text);
  const entered = await post(changeAt.app, 'number', callId, otherMobile);
  await post(confirmAt.app, 'confirm', callId, '1');
  expect(entered.status).toBe(200);
  expect((await texts()).map((m) => m.to)).toEqual([`+1${otherMobile}`]);
  return 'change';
}

/** One document of each kind the racing requests got (digits aside), validated at the end: validation is slow. */
const answered = new Map<string, string>();
afterAll(async () => {
  expect(answered.size).toBeGreaterThan(0);
  // Together: the validator checks the documents asked for at once in one xmllint run.
  await Promise.all([...answered.values()].map((xml) => expectValidVxml(xml)));
}, 60_000);

function tally(winners: string[]): Record<string, number> {
  return winners.reduce<Record<string, number>>((acc, w) => ({ ...acc, [w]: (acc[w] ?? 0) + 1 }), {});
}

/** A gateway that holds every text until the test lets it go, and says when one arrives. */
class HeldGateway implements SmsGateway {
  readonly name = 'held';
  readonly received: OutgoingSms[] = [];
  private held: (() => void)[] = [];
  private arrivals: (() => void)[] = [];

  async send(sms: OutgoingSms): Promise<SendOutcome> {
    this.received.push(sms);
    await new Promise<void>((resolve) => {
      this.held.push(resolve);
      for (const arrived of this.arrivals.splice(0)) arrived();
    });
    return { outcome: 'accepted', vendorMessageId: `held-${sms.id}` };
  }

  /** Resolves once a text is being held (the send is in its hold). */
  arrival(): Promise<void> {
    return this.held.length ? Promise.resolve() : new Promise((resolve) => this.arrivals.push(resolve));
  }

  letGo(): void {
    for (const release of this.held.splice(0)) release();
  }
}

/** Resolves when the store next answers a getCall: the request sent just before has read the call. */
function nextCallRead(server: Server): Promise<void> {
  const original = server.store.getCall.bind(server.store);
  return new Promise((resolve) => {
    server.store.getCall = async (id) => {
      const call = await original(id);
      server.store.getCall = original;
      resolve();
      return call;
    };
  });
}

/**
 * A change arriving while the confirm's text is in the gateway (the 2.5 s hold of a real
 * vendor): the change must get the text's result, and a number keyed afterwards no second text.
 */
async function changeDuringHold(round: number, gateway: HeldGateway, confirmAt: Server, changeAt: Server): Promise<void> {
  const start = await request(confirmAt.app).get(`/vxml/start?${new URLSearchParams({ dnis: DNIS, ani: roundAni(round) })}`);
  const callId = /[?&]call=([^&"]+)/.exec(start.text.replace(/&amp;/g, '&'))?.[1] ?? '';
  await post(confirmAt.app, 'offer', callId, '1');
  const confirm = post(confirmAt.app, 'confirm', callId, '1').then((r) => r);
  await gateway.arrival();
  const read = nextCallRead(changeAt);
  const change = post(changeAt.app, 'confirm', callId, '2').then((r) => r);
  await read;
  gateway.letGo();
  const [confirmed, changed] = await Promise.all([confirm, change]);
  answered.set(changed.text.replace(/\d/g, '0'), changed.text);
  expect(confirmed.text).toContain("We've sent you a text.");
  expect(changed.text).toBe(confirmed.text);
  const late = await post(changeAt.app, 'number', callId, roundOtherMobile(round));
  expect(late.text).toBe(confirmed.text);
  expect(await confirmAt.store.listMessages({ callId, limit: 10 })).toHaveLength(1);
  expect(await confirmAt.store.getCall(callId)).toMatchObject({ state: 'sent', result: { status: 'sent' } });
}

describe('SQLite: a change racing a confirm', () => {
  const gateway = new HeldGateway();
  let server: TestServer;
  beforeAll(() => {
    // The longest hold, so the change surely arrives while the confirm still waits.
    server = startTestServer({ gateway, env: { SMS_CALLER_WAIT_MS: '10000', ...ONE_RANGE } });
  });
  afterAll(async () => {
    gateway.letGo();
    await server.close();
  });

  it('a change during the hold gets the text\'s result, and no second text can follow (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) await changeDuringHold(round, gateway, server, server);
  }, 60_000);
});

describe('a hang-up while the text is being sent', () => {
  it('is recorded as an event; the call stays sent and the hang-up gets the same result', async () => {
    const gateway = new HeldGateway();
    // The longest hold, so the hang-up surely arrives while the confirm still waits.
    const server = startTestServer({ gateway, env: { SMS_CALLER_WAIT_MS: '10000', ...ONE_RANGE } });
    try {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: MOBILE_ANI });
      const callId = callIdOf(caller);
      await caller.press('1');

      const confirm = post(server.app, 'confirm', callId, '1').then((r) => r);
      await gateway.arrival();
      expect((await server.store.getCall(callId))?.state).toBe('sending');
      const hangUp = request(server.app).post(`/vxml/giveup?call=${callId}&mode=goto`).type('form').send('reason=hung-up').then((r) => r);
      // Let the text go only once the hang-up has been noted (it waits for the send's result).
      while (!(await server.store.listEvents(callId)).some((e) => e.type === 'gave-up-while-sending')) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      gateway.letGo();
      const [confirmed, hungUp] = await Promise.all([confirm, hangUp]);

      expect(confirmed.text).toContain("We've sent you a text.");
      // The hang-up gets the confirm's ending without its prompt: nobody is there to hear it.
      expect(confirmed.text).toContain('<prompt');
      expect(hungUp.text).toBe(confirmed.text.replace(/\s*<prompt>[\s\S]*?<\/prompt>/, ''));
      const call = await server.store.getCall(callId);
      expect(call).toMatchObject({ state: 'sent', result: { status: 'sent', reason: 'accepted' } });
      const events = (await server.store.listEvents(callId)).map((e) => e.type);
      expect(events).toContain('gave-up-while-sending');
      expect(events).not.toContain('declined');
      expect(events).not.toContain('handed-back');
      expect(gateway.received).toHaveLength(1);
    } finally {
      gateway.letGo();
      await server.close();
    }
  });
});

describePostgres('PostgreSQL, two instances on one schema: a confirm racing a change', () => {
  const schema = `claim_${Math.random().toString(16).slice(2, 10)}`;
  const servers: Server[] = [];
  const holding: Server[] = [];
  const gateway = new HeldGateway();

  beforeAll(async () => {
    await adminQuery(`CREATE SCHEMA ${schema}`);
    const config = loadConfig({ DATABASE_URL: urlInSchema(schema), ADMIN_TOKEN, PUBLIC_BASE_URL, ...ONE_RANGE, ...AS_PLATFORM });
    for (let i = 0; i < 2; i++) servers.push(await composeSharedServer(config, pino({ level: 'silent' }), { outboxPollMs: 20 }));
    expect((await servers[0]!.campaigns.create(campaign())).kind).toBe('saved');
    // Two more instances whose texts wait in a gateway the test holds.
    const held = loadConfig({ DATABASE_URL: urlInSchema(schema), ADMIN_TOKEN, PUBLIC_BASE_URL, SMS_CALLER_WAIT_MS: '10000', ...ONE_RANGE, ...AS_PLATFORM });
    for (let i = 0; i < 2; i++) holding.push(await composeSharedServer(held, pino({ level: 'silent' }), { gateway, outboxPollMs: 20 }));
  });
  afterAll(async () => {
    gateway.letGo();
    await Promise.all([...servers, ...holding].map((s) => s.close()));
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('a change during the hold, on the other instance, gets the text\'s result; no second text follows (10 rounds)', async () => {
    const [a, b] = holding as [Server, Server];
    for (let round = 50; round < 60; round++) await changeDuringHold(round, gateway, a, b);
  }, 60_000);

  it('never texts twice in one call, whichever instance each request reaches (20 rounds)', async () => {
    const [a, b] = servers as [Server, Server];
    const winners: string[] = [];
    for (let round = 0; round < 20; round++) winners.push(await (round % 2 ? raceConfirmAndChange(round, a, b) : raceConfirmAndChange(round, b, a)));
    expect(winners).toHaveLength(20);
    process.stdout.write(`PostgreSQL race winners: ${JSON.stringify(tally(winners))}\n`);
  }, 120_000);
});
