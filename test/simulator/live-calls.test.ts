import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveCallBusy, LiveCalls, LiveCallsFull, UnknownLiveCall, type LiveCallStep } from '../../src/simulator/live-calls';
import type { CallerInput, CallOutcome, InputRequest, SimulationOptions } from '../../src/simulator/types';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Interactive calls between the keypad page's requests: their lifecycle with a scripted
 * engine (fast and exact about timing), then whole calls with the real engine against the
 * real app.
 */

const OFFER: InputRequest = { dialog: 'offer', item: 'answer', expecting: ['1 | 2'] };
const START = { url: 'http://127.0.0.1:1/vxml/start', dnis: '+18005550100', ani: '+16175551234' };

/** Everything the scripted engine heard, by call. */
let heard: Array<Array<CallerInput | undefined>>;

/**
 * A stand-in engine: says the offer and asks, again and again, until the caller hangs up
 * or the inputs run out. Pressing 9 makes it "fetch" for `slowMs` before asking again.
 */
function menuEngine(slowMs = 0) {
  return async (options: SimulationOptions): Promise<CallOutcome> => {
    const inputs: Array<CallerInput | undefined> = [];
    heard.push(inputs);
    for (;;) {
      options.onEntry?.({ kind: 'prompt', text: 'Press 1 or 2.' });
      const input = await options.inputs(OFFER);
      inputs.push(input);
      if (!input || input.kind === 'hangup') {
        const reason = input ? 'hangup' : 'input-exhausted';
        options.onEntry?.({ kind: 'end', reason });
        return { reason, normal: Boolean(input), transcript: [], documents: [] };
      }
      options.onEntry?.({ kind: 'input', input });
      if (input.kind === 'dtmf' && input.keys === '9') await new Promise((resolve) => setTimeout(resolve, slowMs));
    }
  };
}

const kinds = (step: LiveCallStep) => step.entries.map((e) => e.kind);
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('live calls with a scripted engine', () => {
  let calls: LiveCalls;

  beforeEach(() => {
    heard = [];
  });
  afterEach(() => calls?.close());

  it('runs a call from question to question, giving only the new entries each time, until the caller hangs up', async () => {
    calls = new LiveCalls({ simulate: menuEngine() });
    const first = await calls.start(START);
    expect(first).toMatchObject({ state: 'listening', listening: OFFER, start: START });
    expect(kinds(first)).toEqual(['prompt']);

    const second = await calls.input(first.id, { kind: 'dtmf', keys: '1' });
    expect(second).toMatchObject({ id: first.id, state: 'listening', listening: OFFER });
    expect(kinds(second)).toEqual(['input', 'prompt']);

    const last = await calls.input(first.id, { kind: 'hangup' });
    expect(last.state).toBe('ended');
    expect(last.outcome).toMatchObject({ reason: 'hangup', normal: true });
    expect(kinds(last)).toEqual(['end']);
    expect(calls.size).toBe(0);
    await expect(calls.input(first.id, { kind: 'dtmf', keys: '1' })).rejects.toThrow(UnknownLiveCall);
  });

  it('holds at most maxCalls calls at once, and takes a new one when one has ended', async () => {
    calls = new LiveCalls({ simulate: menuEngine(), maxCalls: 3 });
    const started = [await calls.start(START), await calls.start(START), await calls.start(START)];
    await expect(calls.start(START)).rejects.toThrow(LiveCallsFull);
    await expect(calls.start(START)).rejects.toThrow('3 simulated calls are already in progress');
    await calls.input(started[0]!.id, { kind: 'hangup' });
    await expect(calls.start(START)).resolves.toMatchObject({ state: 'listening' });
  });

  it('hangs up and forgets a call whose page has sent nothing for idleMs', async () => {
    calls = new LiveCalls({ simulate: menuEngine(), idleMs: 40 });
    const call = await calls.start(START);
    await until(() => calls.size === 0);
    expect(calls.size).toBe(0);
    // The engine heard the caller hang up, as a real browser would report a dropped line.
    await until(() => heard[0]?.length === 1);
    expect(heard[0]).toEqual([{ kind: 'hangup' }]);
    await expect(calls.input(call.id, { kind: 'noinput' })).rejects.toThrow(UnknownLiveCall);
  });

  it('keeps a call while its page keeps sending inputs', async () => {
    // On a fake clock: real sleeps of 30 ms against a 60 ms idle limit failed on a busy machine.
    jest.useFakeTimers();
    try {
      calls = new LiveCalls({ simulate: menuEngine(), idleMs: 60 });
      const call = await calls.start(START);
      for (let i = 0; i < 4; i++) {
        await jest.advanceTimersByTimeAsync(30);
        await calls.input(call.id, { kind: 'dtmf', keys: '1' });
      }
      // 120 ms since the start, never 60 without an input: still there.
      expect(calls.size).toBe(1);
      // And the idle limit is real: 60 ms without one ends it.
      await jest.advanceTimersByTimeAsync(60);
      expect(calls.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('ends the call with an "aborted" outcome when the engine throws', async () => {
    calls = new LiveCalls({ simulate: () => Promise.reject(new Error('boom')) });
    const step = await calls.start(START);
    expect(step.state).toBe('ended');
    expect(step.outcome).toMatchObject({ reason: 'aborted', normal: false, message: 'the simulator failed: boom' });
    expect(step.entries).toEqual([{ kind: 'end', reason: 'aborted', message: 'the simulator failed: boom' }]);
    expect(calls.size).toBe(0);
  });

  it('gives up a step that neither listens nor ends in stepTimeoutMs; the engine then hears no more input', async () => {
    calls = new LiveCalls({ simulate: menuEngine(200), stepTimeoutMs: 30 });
    const call = await calls.start(START);
    const step = await calls.input(call.id, { kind: 'dtmf', keys: '9' });
    expect(step.state).toBe('ended');
    expect(step.outcome).toMatchObject({ reason: 'aborted', message: 'the call neither listened nor ended within 0.03 s' });
    expect(calls.size).toBe(0);
    await until(() => heard[0]?.length === 2);
    expect(heard[0]).toEqual([{ kind: 'dtmf', keys: '9' }, undefined]);
  });

  it('refuses a second input while the first is still running', async () => {
    calls = new LiveCalls({ simulate: menuEngine(50) });
    const call = await calls.start(START);
    const slow = calls.input(call.id, { kind: 'dtmf', keys: '9' });
    await expect(calls.input(call.id, { kind: 'dtmf', keys: '1' })).rejects.toThrow(LiveCallBusy);
    await expect(slow).resolves.toMatchObject({ state: 'listening' });
  });

  it('hangs up on request and forgets the call; unknown ids are refused', async () => {
    calls = new LiveCalls({ simulate: menuEngine() });
    const call = await calls.start(START);
    calls.hangUp(call.id);
    expect(calls.size).toBe(0);
    await until(() => heard[0]?.length === 1);
    expect(heard[0]).toEqual([{ kind: 'hangup' }]);
    expect(() => calls.hangUp(call.id)).toThrow(UnknownLiveCall);
  });

  it('ends every call on close and refuses new ones', async () => {
    calls = new LiveCalls({ simulate: menuEngine() });
    await calls.start(START);
    await calls.start(START);
    await calls.close();
    expect(calls.size).toBe(0);
    expect(heard).toEqual([[undefined], [undefined]]);
    await expect(calls.start(START)).rejects.toThrow(LiveCallsFull);
  });
});

describe('live calls with the real engine against the real app', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let calls: LiveCalls;

  beforeAll(async () => {
    server = startTestServer();
    http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    calls = new LiveCalls();
  });
  afterEach(() => calls.close());
  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const start = (ani: string) =>
    calls.start({ url: `${base}/vxml/start?${new URLSearchParams({ dnis: '+18005550100', ani, callid: 'sim-test' })}`, dnis: '+18005550100', ani, callId: 'sim-test' });
  const prompts = (step: LiveCallStep) => step.entries.flatMap((e) => (e.kind === 'prompt' ? [e.text] : []));

  it('walks accept and confirm to a text', async () => {
    const offer = await start('+16175551234');
    expect(offer.state).toBe('listening');
    expect(prompts(offer).join(' ')).toMatch(/press 1/);
    const confirm = await calls.input(offer.id, { kind: 'dtmf', keys: '1' });
    expect(confirm.state).toBe('listening');
    expect(prompts(confirm).join(' ')).toMatch(/ending in 1 ?2 ?3 ?4/);
    const end = await calls.input(offer.id, { kind: 'dtmf', keys: '1' });
    expect(end.state).toBe('ended');
    expect(prompts(end).join(' ')).toMatch(/sent you a text/);
    expect(end.outcome?.values).toMatchObject({ status: 'sent', reason: 'accepted' });
    const [message] = await server.store.listMessages({ limit: 1, number: '+16175551234' });
    expect(message?.body).toMatch(/Chat with us: https:\/\/t\.example\.test\/s\/\w+/);
  });

  it('walks a decline: the call is handed back without a text', async () => {
    const offer = await start('+16175550002');
    const end = await calls.input(offer.id, { kind: 'dtmf', keys: '2' });
    expect(end.state).toBe('ended');
    expect(end.outcome?.values).toMatchObject({ status: 'declined', reason: 'caller-declined' });
  });

  it('reports a hang-up to the server as the documents say', async () => {
    const offer = await start('+16175550003');
    const end = await calls.input(offer.id, { kind: 'hangup' });
    expect(end.state).toBe('ended');
    expect(end.outcome?.normal).toBe(true);
  });
});
