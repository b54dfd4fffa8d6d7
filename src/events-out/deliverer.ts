import { randomUUID } from 'node:crypto';
import axios from 'axios';
import type { Logger } from 'pino';
import { retryDelayMs } from '../outbox/backoff';
import { signedHeaders } from '../signing/timestamped-hmac';
import type { Store } from '../store/port';
import { nextBatch } from './batch';
import type { EventsOutEndpoint, EventsOutSettings } from './settings';

/** What the deliverer reports to the metrics (src/observability/events-out-metrics.ts). */
export interface EventsOutCounters {
  delivered(endpoint: string, events: number): void;
  failedAttempt(endpoint: string): void;
}

export interface DelivererDeps {
  store: Store;
  settings: EventsOutSettings;
  log: Logger;
  now?: () => Date;
  random?: () => number;
  metrics?: EventsOutCounters;
  /**
   * Starts one request's timeout: a signal that aborts the request after `ms`
   * (AbortSignal.timeout). A test passes its own, to end a request when it says so rather
   * than after a real wait that a busy machine stretches.
   */
  requestTimeout?: (ms: number) => AbortSignal;
}

/** A lease outlives the request that holds it by this much (then another instance may take over). */
const LEASE_MARGIN_MS = 15_000;
/** Batches one pass sends at most per endpoint, so one busy endpoint cannot hold a pass for ever. */
const MAX_BATCHES_PER_PASS = 20;
/** Of an endpoint's error answer, this much is kept in the cursor and the log. */
const MAX_ERROR_DETAIL = 200;

type Attempt = { ok: true } | { ok: false; detail: string; misconfigured: boolean };

/**
 * Events out: delivers the call events to each configured endpoint, in id order, signed,
 * at least once. The store's cursor per endpoint is the durable queue: it moves only
 * after a 2xx, so a failure, a crash or a restart sends the same events again (same ids)
 * and none is lost. The cursor's lease keeps two instances from sending one batch at once;
 * a dead instance's lease runs out and another takes over.
 *
 * Woken by the store's observer when events commit (prompt delivery) and by a timer
 * (retries after their backoff, an expired lease of another instance).
 */
export class EventsDeliverer {
  private readonly store: Store;
  private readonly settings: EventsOutSettings;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly metrics: EventsOutCounters | undefined;
  private readonly requestTimeout: (ms: number) => AbortSignal;
  /** The pass running for each endpoint, and whether another was asked for meanwhile. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly aborts = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(deps: DelivererDeps) {
    this.store = deps.store;
    this.settings = deps.settings;
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.metrics = deps.metrics;
    this.requestTimeout = deps.requestTimeout ?? ((ms) => AbortSignal.timeout(ms));
  }

  get endpoints(): readonly EventsOutEndpoint[] {
    return this.settings.endpoints;
  }

  /** Starts the timer and a first pass (events left undelivered by a previous run go now). */
  start(): void {
    if (!this.settings.endpoints.length || this.timer) return;
    this.timer = setInterval(() => this.wake(), this.settings.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Something may be due: a pass per endpoint (one already running runs once more after). */
  wake(): void {
    if (this.stopped) return;
    for (const endpoint of this.settings.endpoints) this.passFor(endpoint);
  }

  /** A pass for every endpoint, resolved when all have ended (tests drive it with their clock). */
  async deliverDue(): Promise<void> {
    this.wake();
    await this.idle();
  }

  /** Resolves when no pass is running (nor asked for). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  /** Stops the timer and waits for passes; a request still out is aborted and retried later. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const grace = setTimeout(() => this.aborts.abort(), graceMs);
    try {
      await this.idle();
    } finally {
      clearTimeout(grace);
    }
  }

  private passFor(endpoint: EventsOutEndpoint): void {
    if (this.running.has(endpoint.name)) {
      this.again.add(endpoint.name);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(endpoint.name);
        try {
          await this.pass(endpoint);
        } catch (err) {
          // The store failed (a lost connection): the timer comes back.
          this.log.warn({ endpoint: endpoint.name, err: (err as Error).message }, 'events out: a delivery pass failed; the next one retries');
        }
      } while (this.again.has(endpoint.name) && !this.stopped);
    })().finally(() => this.running.delete(endpoint.name));
    this.running.set(endpoint.name, run);
  }

  /** Sends batches to one endpoint while it takes them and there are more. */
  private async pass(endpoint: EventsOutEndpoint): Promise<void> {
    const { batchSize, maxBodyBytes, timeoutMs } = this.settings;
    for (let n = 0; n < MAX_BATCHES_PER_PASS && !this.stopped; n += 1) {
      const owner = randomUUID();
      const started = this.now();
      const cursor = await this.store.claimEventCursor(
        endpoint.name,
        owner,
        started.toISOString(),
        new Date(started.getTime() + timeoutMs + LEASE_MARGIN_MS).toISOString(),
      );
      if (!cursor) return; // another instance holds it, or its backoff has not ended
      const events = await this.store.eventsAfter(cursor.lastId, batchSize);
      const batch = nextBatch(events, endpoint.types, maxBodyBytes);
      if (!batch.events.length) {
        // Nothing new, or only types this endpoint does not take: pass over them.
        await this.store.finishEventDelivery(endpoint.name, owner, { delivered: Math.max(cursor.lastId, batch.lastId) });
        if (events.length < batchSize) return;
        continue;
      }
      const attempt = await this.post(endpoint, batch.body);
      if (attempt.ok) {
        const kept = await this.store.finishEventDelivery(endpoint.name, owner, { delivered: batch.lastId });
        this.metrics?.delivered(endpoint.name, batch.events.length);
        // Lost lease (a request slower than the lease): the next holder sends these again, same ids.
        if (!kept) return;
        if (events.length < batchSize && batch.lastId === events.at(-1)?.id) return;
        continue;
      }
      this.metrics?.failedAttempt(endpoint.name);
      const failures = cursor.failures + 1;
      // Cut off by our own shutdown: not the endpoint's fault, the next instance may retry at once.
      const delay = this.aborts.signal.aborted ? 0 : retryDelayMs(failures, this.settings.retryBaseMs, this.random, this.settings.retryCapMs);
      const retryAt = new Date(this.now().getTime() + delay);
      await this.store.finishEventDelivery(endpoint.name, owner, { failed: attempt.detail, nextAttemptAt: retryAt.toISOString() });
      const fields = { endpoint: endpoint.name, url: endpoint.url, failures, retryAt: retryAt.toISOString(), error: attempt.detail, firstEventId: batch.events[0]!.id };
      if (attempt.misconfigured) {
        // Kept and retried all the same: a misconfigured endpoint must not lose events.
        this.log.error(fields, 'events out: the endpoint refuses our events (check its URL and secret); they wait and are retried, none is skipped');
      } else {
        this.log.warn(fields, 'events out: delivery failed; retrying with backoff');
      }
      return;
    }
  }

  private async post(endpoint: EventsOutEndpoint, body: string): Promise<Attempt> {
    const { timeoutMs } = this.settings;
    const timeout = this.requestTimeout(timeoutMs);
    try {
      const response = await axios.post<string>(endpoint.url, body, {
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'ivr-deflect-events-out', ...signedHeaders(endpoint.secret, body, this.now()) },
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        maxContentLength: 64 * 1024,
        validateStatus: () => true,
        // The whole request, connection to last byte, ends at the timeout or at our shutdown.
        signal: AbortSignal.any([this.aborts.signal, timeout]),
      });
      if (response.status >= 200 && response.status < 300) return { ok: true };
      // 408 and 429 are "later"; other 4xx mean the request itself is refused (a wrong
      // URL or secret): still retried, but said loudly.
      const misconfigured = response.status >= 300 && response.status < 500 && response.status !== 408 && response.status !== 429;
      return { ok: false, misconfigured, detail: this.oneLine(endpoint, `HTTP ${response.status} ${String(response.data ?? '')}`) };
    } catch (err) {
      if (timeout.aborted && !this.aborts.signal.aborted) {
        return { ok: false, misconfigured: false, detail: `timeout: no answer within ${timeoutMs} ms` };
      }
      const code = axios.isAxiosError(err) ? (err.code ?? '') : '';
      return { ok: false, misconfigured: false, detail: this.oneLine(endpoint, `${code} ${(err as Error).message}`) };
    }
  }

  /** An error detail as kept and logged: one short line, never the endpoint's secret. */
  private oneLine(endpoint: EventsOutEndpoint, text: string): string {
    const line = text.split(endpoint.secret).join('[secret]').replace(/\s+/g, ' ').trim();
    return line.length > MAX_ERROR_DETAIL ? `${line.slice(0, MAX_ERROR_DETAIL)}…` : line;
  }
}
