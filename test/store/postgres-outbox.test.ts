import { Client } from 'pg';
import type { NewMessage } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';

/**
 * The outbox shared by several instances: each message is claimed by one dispatcher at
 * a time, and one whose dispatcher died is claimed by another once the lease runs out.
 * Each store here has its own pool: a separate instance as far as the database knows.
 */

const T0 = Date.parse('2026-11-24T20:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1_000).toISOString();

let counter = 0;
function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  counter += 1;
  return {
    id: `msg-${String(counter).padStart(4, '0')}`,
    callId: `call-${counter}`,
    campaignId: 'support',
    to: `+1617555${String(1000 + counter).slice(-4)}`,
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'primary',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: at(0),
    ...overrides,
  };
}

describePostgres('PostgreSQL outbox across instances', () => {
  const schema = new TestSchema();
  let a: PgStore;
  let b: PgStore;
  let c: PgStore;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([schema.open(), schema.open(), schema.open()]);
  });
  afterAll(() => schema.drop());

  /** Marks every queued message sent, so each test starts with an empty outbox. */
  afterEach(async () => {
    for (const m of await a.claimDueMessages(at(10_000), at(10_001), 10_000)) {
      await a.recordAttempt(m.id, { status: 'sent', via: 'primary', vendorMessageId: `v-${m.id}`, vendorStatus: null }, at(10_000));
    }
  });

  it('passes over messages another dispatcher holds instead of waiting for them (SKIP LOCKED)', async () => {
    const messages = [];
    for (let i = 0; i < 4; i++) messages.push((await a.createMessage(newMessage())).message);
    // Another instance is in the middle of claiming the two oldest: their rows are locked.
    const other = await schema.connect();
    await other.query('BEGIN');
    await other.query('SELECT id FROM messages WHERE id = ANY($1) FOR UPDATE', [[messages[0]!.id, messages[1]!.id]]);

    const claimed = await b.claimDueMessages(at(1), at(31), 10);
    expect(claimed.map((m) => m.id).sort()).toEqual([messages[2]!.id, messages[3]!.id]);
    await other.query('ROLLBACK');
    expect((await c.claimDueMessages(at(1), at(31), 10)).map((m) => m.id).sort()).toEqual([messages[0]!.id, messages[1]!.id]);
  });

  it('never hands one message to two dispatchers claiming at the same time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push((await a.createMessage(newMessage({ createdAt: at(i % 7) }))).message.id);

    // Three instances claim in small batches, as fast as they can, until nothing is left.
    const drain = async (store: PgStore): Promise<string[]> => {
      const mine: string[] = [];
      for (;;) {
        const batch = await store.claimDueMessages(at(10), at(40), 4);
        if (!batch.length) return mine;
        mine.push(...batch.map((m) => m.id));
      }
    };
    const claims = await Promise.all([drain(a), drain(b), drain(c), drain(a), drain(b), drain(c)]);
    const all = claims.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(ids.sort());
  });

  it('lets only one of two instances take a caller’s first attempt (claimMessage)', async () => {
    for (let round = 0; round < 20; round++) {
      const { message } = await a.createMessage(newMessage());
      const results = await Promise.all([b.claimMessage(message.id, at(1), at(31)), c.claimMessage(message.id, at(1), at(31))]);
      expect(results.filter(Boolean)).toHaveLength(1);
    }
  });

  it('hands a dead instance’s message to another once its lease runs out', async () => {
    const { message } = await a.createMessage(newMessage());
    // Instance A claims it at 1 s with a 30 s lease, then dies mid-send.
    expect((await a.claimDueMessages(at(1), at(31), 10)).map((m) => m.id)).toEqual([message.id]);

    // Before the lease ends, nobody else may take it.
    expect(await b.claimDueMessages(at(30), at(60), 10)).toEqual([]);
    expect(await c.claimMessage(message.id, at(30), at(60))).toBeUndefined();

    // At the end of the lease it is B's.
    const [taken] = await b.claimDueMessages(at(31), at(61), 10);
    expect(taken).toMatchObject({ id: message.id, leaseUntil: at(61), status: 'queued', attempts: 0 });
    // C, racing B for it, gets nothing; A, if it comes back, can no longer extend its lease.
    expect(await c.claimDueMessages(at(31), at(61), 10)).toEqual([]);
    expect(await a.renewLease(message.id, at(31), at(90))).toBe(false);
    expect(await b.renewLease(message.id, at(61), at(91))).toBe(true);

    const sent = await b.recordAttempt(message.id, { status: 'sent', via: 'primary', vendorMessageId: 'v-1', vendorStatus: 'queued' }, at(32));
    expect(sent).toMatchObject({ status: 'sent', leaseUntil: null, attempts: 1 });
    expect((await c.listEvents(message.callId)).map((e) => e.type)).toEqual(['sms-queued', 'sms-sent']);
  });

  it('stores one message when instances create the same call’s text at once', async () => {
    const draft = newMessage();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => [a, b, c][i % 3]!.createMessage({ ...draft, id: `${draft.id}-${i}` })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const stored = results.find((r) => r.created)!.message;
    for (const r of results) expect(r.message).toEqual(stored);
    expect((await a.listEvents(draft.callId)).map((e) => e.type)).toEqual(['sms-queued']);
  });

  /**
   * The caller's first attempts are gathered: claims (and attempt starts) asked for in one
   * event-loop turn go to the database as one statement. Counted by the statements the
   * pool's connections send (a pass-through spy: the database still answers them).
   */
  function statementsLike(fragment: string) {
    const spy = jest.spyOn(Client.prototype, 'query');
    return {
      count: () => spy.mock.calls.filter(([config]) => (typeof config === 'string' ? config : (config as { text?: string }).text ?? '').includes(fragment)).length,
      restore: () => spy.mockRestore(),
    };
  }

  it('claims the first attempts asked for in one turn in one statement, each asker its own message', async () => {
    const messages = [];
    for (let i = 0; i < 5; i++) messages.push((await a.createMessage(newMessage())).message);
    const sent = statementsLike('UPDATE messages m SET lease_until = c.lease_until');
    try {
      const claimed = await Promise.all(messages.map((m, i) => a.claimMessage(m.id, at(1), at(31 + i))));
      expect(claimed.map((m) => [m?.id, m?.leaseUntil])).toEqual(messages.map((m, i) => [m.id, at(31 + i)]));
      expect(sent.count()).toBe(1);
    } finally {
      sent.restore();
    }
    // Each lease is held: another instance cannot take any of them before it runs out.
    expect(await Promise.all(messages.map((m) => b.claimMessage(m.id, at(30), at(60))))).toEqual(messages.map(() => undefined));
  });

  it('gives a message asked for twice in one turn to the first asker only', async () => {
    const { message } = await a.createMessage(newMessage());
    const [first, second] = await Promise.all([a.claimMessage(message.id, at(1), at(31)), a.claimMessage(message.id, at(1), at(45))]);
    expect(first).toMatchObject({ id: message.id, leaseUntil: at(31) });
    expect(second).toBeUndefined();
    // The first asker's lease is the one stored: it can start its attempt; the second's cannot.
    const started = await Promise.all([
      a.startAttempt(message, { heldLease: at(31), leaseUntil: at(61), via: 'primary', at: at(2) }),
      a.startAttempt(message, { heldLease: at(45), leaseUntil: at(75), via: 'primary', at: at(2) }),
    ]);
    expect(started).toEqual(['started', 'lost']);
  });

  it('starts the attempts asked for in one turn in one statement, each only under the lease its asker holds', async () => {
    const messages = [];
    for (let i = 0; i < 3; i++) messages.push((await a.createMessage(newMessage())).message);
    for (const m of messages) expect(await a.claimMessage(m.id, at(1), at(31))).toBeDefined();
    const sent = statementsLike('UPDATE messages m SET lease_until = s.lease_until');
    try {
      const started = await Promise.all(
        messages.map((m, i) =>
          // The second asker's lease is not the one stored (another dispatcher took the message).
          a.startAttempt(m, { heldLease: i === 1 ? at(99) : at(31), leaseUntil: at(61), via: `gw-${i}`, at: at(2 + i) }),
        ),
      );
      expect(started).toEqual(['started', 'lost', 'started']);
      expect(sent.count()).toBe(1);
    } finally {
      sent.restore();
    }
    // What each start wrote is what the dispatcher reads back after a crash mid-request.
    const after = await c.claimDueMessages(at(62), at(92), 10);
    const byId = new Map(after.map((m) => [m.id, m]));
    expect(byId.get(messages[0]!.id)).toMatchObject({ attemptStartedAt: at(2), attemptVia: 'gw-0' });
    expect(byId.get(messages[1]!.id)).toMatchObject({ attemptStartedAt: null, attemptVia: null });
    expect(byId.get(messages[2]!.id)).toMatchObject({ attemptStartedAt: at(4), attemptVia: 'gw-2' });
  });

  it('sends the recontact lookups and the short links asked for in one turn as one statement each', async () => {
    const lookups = statementsLike('CROSS JOIN LATERAL');
    const links = statementsLike('INSERT INTO short_links');
    try {
      const found = await Promise.all(['+16175550101', '+16175550102', '+16175550103'].map((n) => a.lastTextFor(n, at(-60), at(60))));
      expect(found).toEqual([undefined, undefined, undefined]);
      const made = await Promise.all(
        ['Gt5hY6uJ', 'Gt5hY6uK', 'Gt5hY6uL'].map((code) => a.createShortLink({ code, target: `https://chat.example.test/${code}`, callId: null, campaignId: null, createdAt: at(0), expiresAt: null })),
      );
      expect(made).toEqual([true, true, true]);
      expect([lookups.count(), links.count()]).toEqual([1, 1]);
    } finally {
      lookups.restore();
      links.restore();
    }
  });

  it('answers every start that asks after a switch through another instance committed with the switch', async () => {
    try {
      // A read asked before the switch may answer either way; one asked after it must see it.
      const before = a.getServiceSwitch();
      await b.setServiceSwitch(false, 'ops', at(5));
      expect(await a.getServiceSwitch()).toEqual({ enabled: false, changedBy: 'ops', changedAt: at(5) });
      await before;
    } finally {
      await b.setServiceSwitch(true, 'ops', at(6));
    }
  });
});
