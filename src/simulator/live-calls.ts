import { randomUUID } from 'node:crypto';
import { lazyModule } from '../lazy-module';
import type { CallerInput, CallOutcome, InputRequest, SimulationOptions, TranscriptEntry } from './types';

/**
 * Interactive simulated calls, kept in memory between the requests of the console's keypad
 * page. Each call runs the simulator with an input source that waits for the page: a
 * request runs the call until the browser listens or the call ends, and answers with what
 * happened since the previous request. Calls are bounded in number and hung up when the
 * page goes quiet, so a closed tab leaves nothing behind.
 */

/** One request's worth of a call: the entries since the last step, and where it now stands. */
export interface LiveCallStep {
  id: string;
  /** What the call was started with. */
  start: LiveCallStart;
  entries: TranscriptEntry[];
  state: 'listening' | 'ended';
  /** What the browser is waiting for (state "listening"). */
  listening?: InputRequest;
  /** How the call ended, with its whole transcript (state "ended"). */
  outcome?: CallOutcome;
}

/** The start of a call: everything simulateCall takes except its inputs, which the page gives. */
export type LiveCallStart = Omit<SimulationOptions, 'inputs' | 'onEntry'>;

export interface LiveCallsOptions {
  /** Calls at once; one more is refused with LiveCallsFull. */
  maxCalls?: number;
  /** A call whose page sends nothing for this long is hung up and forgotten. */
  idleMs?: number;
  /** How long one request waits for the call to listen or end before it is given up. */
  stepTimeoutMs?: number;
  /** The engine; tests may stand in a scripted one. */
  simulate?: (options: SimulationOptions) => Promise<CallOutcome>;
}

export class LiveCallsFull extends Error {}
export class UnknownLiveCall extends Error {}
/** A second request for a call while the first is still running it. */
export class LiveCallBusy extends Error {}

const DEFAULTS = { maxCalls: 20, idleMs: 120_000, stepTimeoutMs: 60_000 };

/**
 * The engine (its XML parser, cookie jar and ECMAScript parser) is loaded at the first
 * simulated call, not with the server: most servers never run one (src/lazy-module.ts).
 */
const engine = lazyModule(() => import('./simulate'));
const simulateCall = async (options: SimulationOptions): Promise<CallOutcome> => (await engine()).simulateCall(options);

export class LiveCalls {
  private readonly calls = new Map<string, LiveCall>();
  private readonly settings: Required<LiveCallsOptions>;
  private closed = false;

  constructor(options: LiveCallsOptions = {}) {
    this.settings = { ...DEFAULTS, simulate: simulateCall, ...options };
  }

  /** Calls being run or waiting for input. */
  get size(): number {
    return this.calls.size;
  }

  async start(start: LiveCallStart): Promise<LiveCallStep> {
    if (this.closed) throw new LiveCallsFull('the simulator is shutting down');
    if (this.calls.size >= this.settings.maxCalls) {
      const idleMinutes = this.settings.idleMs / 60_000;
      throw new LiveCallsFull(
        `${this.settings.maxCalls} simulated calls are already in progress; try again when one has ended (a call left idle is hung up after ${idleMinutes} minutes)`,
      );
    }
    const call = new LiveCall(randomUUID(), start, this.settings.simulate);
    this.calls.set(call.id, call);
    return this.step(call, () => undefined);
  }

  /** Gives the call the caller's input (a hang-up included) and runs it to its next question or its end. */
  async input(id: string, input: CallerInput): Promise<LiveCallStep> {
    const call = this.find(id);
    if (call.busy) throw new LiveCallBusy('the call is still busy with the previous input');
    return this.step(call, () => call.answer(input));
  }

  /** Ends and forgets the call, without waiting for its hang-up handler to run. */
  hangUp(id: string): void {
    this.forget(this.find(id), { kind: 'hangup' });
  }

  /** Ends every call (no more inputs) and waits for their engines to stop. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.calls.values()];
    for (const call of running) this.forget(call, undefined);
    await Promise.all(running.map((call) => call.finished));
  }

  private find(id: string): LiveCall {
    const call = this.calls.get(id);
    if (!call) throw new UnknownLiveCall('no such call: it has ended, or it was idle and was hung up');
    return call;
  }

  private async step(call: LiveCall, act: () => void): Promise<LiveCallStep> {
    call.busy = true;
    call.stopIdleTimer();
    act();
    const stopped = await call.nextStop(this.settings.stepTimeoutMs);
    call.busy = false;
    if (!stopped) call.abort(`the call neither listened nor ended within ${this.settings.stepTimeoutMs / 1000} s`);
    const step = call.step();
    if (step.state === 'ended') this.calls.delete(call.id);
    // Unless the page hung up meanwhile (DELETE while this step ran).
    else if (this.calls.get(call.id) === call) call.startIdleTimer(this.settings.idleMs, () => this.forget(call, { kind: 'hangup' }));
    return step;
  }

  /**
   * Drops the call. The engine goes on by itself: it hears the given input (a hang-up, so
   * the documents' hang-up handler reports it as a real browser would) or, with undefined,
   * simply stops.
   */
  private forget(call: LiveCall, last: CallerInput | undefined): void {
    call.stopIdleTimer();
    this.calls.delete(call.id);
    call.leave(last);
  }
}

type Answer = (input: CallerInput | undefined) => void;

/** One call: its engine, the transcript so far and the question it is waiting on. */
class LiveCall {
  busy = false;
  /** Settles when the engine has stopped, whatever the reason; never rejects. */
  readonly finished: Promise<void>;
  private readonly entries: TranscriptEntry[] = [];
  private shown = 0;
  private waiting?: { request: InputRequest; answer: Answer };
  private outcome?: CallOutcome;
  /** The caller is gone (hung up, or the page left): every later question hears nothing. */
  private gone = false;
  private wake?: () => void;
  private idleTimer?: NodeJS.Timeout;

  constructor(
    readonly id: string,
    readonly start: LiveCallStart,
    simulate: (options: SimulationOptions) => Promise<CallOutcome>,
  ) {
    this.finished = simulate({ ...start, inputs: (request) => this.ask(request), onEntry: (entry) => this.entries.push(entry) })
      // An engine that throws is a bug in it: the call still ends, and the tester reads why.
      .catch((err: unknown) => this.endedBy(`the simulator failed: ${err instanceof Error ? err.message : String(err)}`))
      .then((outcome) => {
        this.outcome ??= outcome;
        this.wake?.();
      });
  }

  /** Resolves true when the call listens or has ended (at once if it already has); false after timeoutMs. */
  nextStop(timeoutMs: number): Promise<boolean> {
    if (this.waiting || this.outcome) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }

  answer(input: CallerInput): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (input.kind === 'hangup') this.gone = true;
    waiting?.answer(input);
  }

  /** The page is gone: the question being asked hears `last`, any later one nothing, so the engine ends. */
  leave(last: CallerInput | undefined): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    const first = this.gone ? undefined : last;
    this.gone = true;
    waiting?.answer(first);
  }

  /** Ends the call as far as the page is concerned; the engine is left to stop by itself. */
  abort(message: string): void {
    this.outcome ??= this.endedBy(message);
    this.leave(undefined);
  }

  step(): LiveCallStep {
    const entries = this.entries.slice(this.shown);
    this.shown = this.entries.length;
    const { id, start } = this;
    if (this.outcome) return { id, start, entries, state: 'ended', outcome: this.outcome };
    return { id, start, entries, state: 'listening', ...(this.waiting ? { listening: this.waiting.request } : {}) };
  }

  startIdleTimer(ms: number, onIdle: () => void): void {
    this.idleTimer = setTimeout(onIdle, ms);
    // A forgotten tab must never keep the process alive.
    this.idleTimer.unref();
  }

  stopIdleTimer(): void {
    clearTimeout(this.idleTimer);
  }

  private ask(request: InputRequest): Promise<CallerInput | undefined> {
    if (this.gone) return Promise.resolve(undefined);
    return new Promise((answer) => {
      this.waiting = { request, answer };
      this.wake?.();
    });
  }

  private endedBy(message: string): CallOutcome {
    this.entries.push({ kind: 'end', reason: 'aborted', message });
    return { reason: 'aborted', normal: false, message, transcript: [...this.entries], documents: [] };
  }
}
