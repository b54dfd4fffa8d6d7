import type { ChannelName } from '../channels/channel';
import type { Logger } from 'pino';
import type { OutboxSettings } from '../config';
import { runForCall } from '../observability/call-context';
import type { GatewayMetrics } from '../observability/port';
import { maskNumber } from '../phone';
import type { OutgoingSms, PermanentReason, SendOutcome, SentLookup, SmsGateway } from '../sms/port';
import { FallbackEngine } from '../channels/fallback';
import type { AttemptRecord, CallEnding, MessageRecord, Store } from '../store/port';
import { retryDelayMs } from './backoff';
import { GatewayHealth } from './gateway-health';
import { Limiter } from './limiter';

/** A message that has failed this many times on one gateway tries the other one next. */
const FAILOVER_AFTER_ATTEMPTS = 2;
/** How often the outbox looks for due messages when nothing wakes it sooner. */
const DEFAULT_POLL_MS = 500;
/** The outcome code of an attempt aborted because the server is shutting down. */
const HANDED_BACK = 'shutdown';
/** A lease outlives the attempt that holds it by this much (then another dispatcher may retry). */
const LEASE_MARGIN_MS = 5_000;
/**
 * A text whose last attempt's outcome is unknown is not resent until its gateway says it
 * does not have it (lookup) or takes the resend under the same reference (idempotent).
 * After this many answers in a row that could not tell, it is sent anyway (at least once,
 * counted as a possible duplicate): a caller who never gets the link is worse than two texts.
 */
export const MAX_UNANSWERED_LOOKUPS = 3;
/** How many due fallbacks one poll makes at most (the next poll takes the rest). */
const FALLBACK_SWEEP_LIMIT = 50;
/** The outcome code of a lookup that could not tell whether the vendor has the text. */
const LOOKUP_UNKNOWN = 'lookup-unknown';

/**
 * What the resend check decided for a text whose last attempt's outcome is unknown:
 * send it now (through whichever gateway the outbox picks, or only through `gateway`,
 * which deduplicates by our reference), or it is settled (recorded, nothing to send).
 */
type ResendPlan = { kind: 'send' } | { kind: 'same-gateway'; gateway: string } | { kind: 'settled'; result: FirstAttempt };

/**
 * Retryable outcomes after which the vendor may still have accepted the text: the request
 * went out and no answer came back (a timeout, our abort at shutdown, a connection cut
 * mid-request, an adapter that threw). A refused connection or a vendor's own error answer
 * means it was not accepted.
 */
function outcomeIsUnknown(outcome: SendOutcome): boolean {
  if (outcome.outcome !== 'retryable') return false;
  if (outcome.code === 'timeout' || outcome.code === HANDED_BACK || outcome.code === 'gateway-exception') return true;
  return outcome.code === 'network' && !NEVER_CONNECTED.test(outcome.detail);
}

/** Network errors raised before a byte of the request left: nothing reached the vendor. */
const NEVER_CONNECTED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ERR_INVALID_URL|ERR_BAD_OPTION)\b/;

export interface DispatcherDeps {
  store: Store;
  /** Every gateway a message may name, by name. */
  gateways: ReadonlyMap<string, SmsGateway>;
  settings: OutboxSettings;
  log: Logger;
  now?: () => Date;
  random?: () => number;
  pollMs?: number;
  /** Times each vendor request by gateway and outcome. */
  metrics?: GatewayMetrics;
}

/** How the caller's first attempt went, as far as the caller needs to know. */
export type FirstAttempt =
  /** channel: set when it is the fallback that went (or waits to go), on that channel. */
  | { kind: 'sent'; channel?: ChannelName }
  /** Never going to be sent; reason says whether another number could help. */
  | { kind: 'refused'; reason: PermanentReason }
  /** Still in the outbox: it will be retried in the background. */
  | { kind: 'pending'; channel?: ChannelName };

/** Builds the caller's call ending from how its first attempt went (sendNow's `endCall`). */
export type EndCall = (attempt: FirstAttempt) => CallEnding;

/**
 * sendNow's answer: the first attempt, and `ended` when the call's ending was written with
 * the attempt's result (recordFirstAttempt's answer: false when another request had moved
 * the call on). Without `ended` the caller ends the call itself.
 */
export type SentNow = FirstAttempt & { ended?: boolean };

/**
 * The caller's call ending, riding on the statement that records its first attempt's
 * result (one write where there were two) while the caller still waits for it. Once that
 * statement has gone, the caller waits for it rather than for the timer: what it wrote is
 * how the call ended.
 */
class CarriedEnding {
  /** The caller's wait ran out first: the caller ends the call itself. */
  late = false;
  /** The statement carrying the ending has gone to the store. */
  sent = false;
  /** Its answer: whether the call was still the sender's to end. */
  ended: boolean | undefined;

  constructor(
    private readonly endCall: EndCall,
    private readonly first: MessageRecord,
  ) {}

  /** The ending to write with this result; none when too late, or when it is not the caller's answer. */
  for(result: FirstAttempt): CallEnding | undefined {
    // A refusal of a text with a fallback plan is not what the caller hears: the fallback's outcome is (fallBackNow).
    if (this.late || this.sent || (result.kind === 'refused' && this.first.fallback && !this.first.fellBackAt)) return undefined;
    this.sent = true;
    return this.endCall(result);
  }
}


/**
 * The outbox dispatcher. Messages are already stored (status queued) before it sees
 * them; it claims due ones with a lease, sends each through its gateway with a time
 * limit, and records the result: sent, failed for good, or queued again with
 * exponential backoff. A crash loses nothing: queued messages wait in the store, and a
 * lease left by a dead process runs out so the message is claimed again.
 */
export class Dispatcher {
  private readonly limiter: Limiter;
  private readonly health = new Map<string, GatewayHealth>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Aborted when stop() runs out of patience: attempts in flight give their message back. */
  private readonly handBack = new AbortController();
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly fallback: FallbackEngine;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private backlog = false;
  private stopped = true;

  constructor(private readonly deps: DispatcherDeps) {
    this.limiter = new Limiter(deps.settings.concurrency);
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.fallback = new FallbackEngine({ store: deps.store, log: deps.log, now: this.now });
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /**
   * Stops claiming work and waits for the attempts in flight (each bounded by its
   * timeout). Attempts still running after graceMs are handed back: their requests are
   * aborted and recorded as retryable, which releases the lease, so the next instance (or
   * this one after a restart) tries them again at once rather than after the lease.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let grace: NodeJS.Timeout | undefined;
    if (Number.isFinite(graceMs)) grace = setTimeout(() => this.handBack.abort(), graceMs);
    try {
      while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    } finally {
      clearTimeout(grace);
    }
  }

  /** Looks for due messages now rather than at the next tick. */
  kick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.poll();
  }

  /**
   * The caller's first attempt, ahead of background work. Resolves with its outcome, or
   * with "pending" once waitMs has passed (the attempt carries on regardless). With
   * `endCall`, the call's ending is written by the statement that records the outcome
   * (CarriedEnding), when the outcome comes in time.
   */
  async sendNow(messageId: string, waitMs: number, endCall?: EndCall): Promise<SentNow> {
    const lease = this.leaseUntil();
    const message = await this.claim(() => this.deps.store.claimMessage(messageId, this.iso(), lease));
    if (!message) return { kind: 'pending' };
    return this.firstAttempt(message, lease, waitMs, endCall);
  }

  /**
   * The lease a text for a waiting caller is admitted with (NewMessage.leaseUntil): its
   * first attempt's claim, stored with the message instead of written by a statement of
   * its own. sendLeased then makes the attempt.
   */
  firstLease(): string {
    return this.leaseUntil();
  }

  /** sendNow for a message stored already leased to this dispatcher (firstLease); one without a lease is claimed first. */
  sendLeased(message: MessageRecord, waitMs: number, endCall?: EndCall): Promise<SentNow> {
    return message.leaseUntil ? this.firstAttempt(message, message.leaseUntil, waitMs, endCall) : this.sendNow(message.id, waitMs, endCall);
  }

  /** The caller's first attempt at a message this dispatcher holds under `lease`, and the wait for it. */
  private async firstAttempt(message: MessageRecord, lease: string, waitMs: number, endCall?: EndCall): Promise<SentNow> {
    const ending = endCall && new CarriedEnding(endCall, message);
    const attempt = this.track(this.limiter.run(() => runForCall(message.callId, () => this.attempt(message, lease, ending)), true));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<FirstAttempt>((resolve) => {
      timer = setTimeout(() => {
        if (ending?.sent) return;
        if (ending) ending.late = true;
        resolve({ kind: 'pending' });
      }, waitMs);
    });
    try {
      const result = await Promise.race([attempt, waited]);
      return ending?.ended === undefined ? result : { ...result, ended: ending.ended };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Claims as many due messages as there are free slots. When that filled every slot
   * there is a backlog: each finished attempt then looks for the next message at once,
   * instead of leaving its slot idle until the next tick.
   */
  private async poll(): Promise<void> {
    this.polling = true;
    try {
      // Fallbacks due first (failed or undelivered, or silent past their window, also while
      // this process was down): the fallback messages they create are due at once, so this
      // same poll claims them.
      if (!this.stopped) await this.claim(() => this.fallback.sweep(FALLBACK_SWEEP_LIMIT));
      const free = this.limiter.free;
      if (free > 0 && !this.stopped) {
        const lease = this.leaseUntil();
        const due = (await this.claim(() => this.deps.store.claimDueMessages(this.iso(), lease, free))) ?? [];
        this.backlog = due.length === free;
        for (const message of due) {
          this.track(this.limiter.run(() => runForCall(message.callId, () => this.attempt(message, lease)))).finally(() => {
            if (this.backlog) this.kick();
          });
        }
      }
    } finally {
      this.polling = false;
      if (this.pollAgain && !this.stopped) {
        this.pollAgain = false;
        this.kick();
      } else if (!this.stopped && !this.timer) {
        this.timer = setTimeout(() => this.kick(), this.deps.pollMs ?? DEFAULT_POLL_MS);
        this.timer.unref();
      }
    }
  }

  private async claim<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      this.deps.log.error({ err }, 'outbox: could not claim messages');
      return undefined;
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  /**
   * One try at one leased message; records whatever happened and never throws. A message
   * that waited for a slot long enough to eat its lease's margin renews the lease first;
   * if it ran out meanwhile another dispatcher may own it now (then this one leaves it alone).
   */
  private async attempt(message: MessageRecord, claimedLease: string, ending?: CarriedEnding): Promise<FirstAttempt> {
    const result = await this.attemptOnce(message, claimedLease, ending);
    return result.kind === 'refused' ? this.fallBackNow(message, result) : result;
  }

  /**
   * A message refused for good (not on the channel, opted out of it, rejected, out of
   * attempts) with a fallback plan falls back at once, and the fallback is tried at once
   * too: a caller still waiting for the first attempt hears how the fallback went.
   * Whoever else made the fallback first (another instance's sweep), it goes out once.
   */
  private async fallBackNow(first: MessageRecord, refused: FirstAttempt & { kind: 'refused' }): Promise<FirstAttempt> {
    if (!first.fallback || first.fellBackAt) return refused;
    try {
      const why = refused.reason === 'not-on-channel' ? 'not-on-channel' : refused.reason === 'rejected' ? 'failed' : 'refused';
      const made = await this.fallback.fallBack(first, why);
      if (made.kind === 'opted-out') return refused;
      // What the caller hears names the fallback's channel, not the refused one's.
      const channel = first.fallback.channel;
      if (made.kind === 'already') return { kind: 'pending', channel };
      const lease = this.leaseUntil();
      const claimed = await this.deps.store.claimMessage(made.message.id, this.iso(), lease);
      if (!claimed) return { kind: 'pending', channel };
      const outcome = await this.attemptOnce(claimed, lease);
      return outcome.kind === 'refused' ? outcome : { ...outcome, channel };
    } catch (err) {
      // The store failed: the sweep finds the refused message at a later poll.
      this.deps.log.error({ err, messageId: first.id }, 'outbox: channel fallback could not be made');
      return { kind: 'pending' };
    }
  }

  private async attemptOnce(message: MessageRecord, claimedLease: string, ending?: CarriedEnding): Promise<FirstAttempt> {
    const { store, log } = this.deps;
    const messageLog = log.child({ messageId: message.id, to: maskNumber(message.to) });
    try {
      let lease = claimedLease;
      if (this.leaseTooShort(lease)) {
        const renewed = this.leaseUntil();
        if (!(await store.renewLease(message.id, lease, renewed))) {
          messageLog.warn('outbox: lease lost while waiting for a slot; another dispatcher has the message');
          return { kind: 'pending' };
        }
        lease = renewed;
      }
      // Opted out of this message's channel only: a WhatsApp STOP does not stop an SMS. A
      // first attempt is checked by its start (startAttempt reads the opt-out list with its
      // write); a resend is checked before the vendor is asked about its last attempt.
      const resend = Boolean(message.attemptStartedAt);
      if (resend && (await store.isSuppressed(message.to, message.channel))) return await this.optedOut(message, messageLog, ending);

      // The last attempt's outcome is unknown (a crash or a timeout mid-request): ask first.
      const plan: ResendPlan = resend ? await this.resendCheck(message, messageLog) : { kind: 'send' };
      if (plan.kind === 'settled') return plan.result;
      const unresolved = plan.kind === 'same-gateway';

      const name = plan.kind === 'same-gateway' ? plan.gateway : this.chooseGateway(message);
      const health = this.healthOf(name);
      const pausedFor = health.pausedForMs(this.now().getTime());
      if (pausedFor > 0) {
        // No start goes now: a first attempt checks the opt-out list here, before its pause.
        if (!resend && (await store.isSuppressed(message.to, message.channel))) return await this.optedOut(message, messageLog, ending);
        // The vendor asked us to slow down: wait it out without spending an attempt.
        return await this.record(
          message,
          {
            status: 'queued',
            via: message.sentVia,
            nextAttemptAt: new Date(this.now().getTime() + pausedFor).toISOString(),
            errorCode: message.errorCode ?? 'paused',
            errorDetail: message.errorDetail ?? `${name} asked us to slow down`,
            countsAsAttempt: false,
            outcomeUnknown: unresolved,
          },
          this.iso(),
          { kind: 'pending' },
          ending,
        );
      }

      // Written before the request goes out: a process that dies mid-request leaves it behind.
      const start = await store.startAttempt(message, { heldLease: lease, leaseUntil: this.leaseUntil(), via: name, at: this.iso() });
      if (start === 'opted-out') return await this.optedOut(message, messageLog, ending);
      if (start === 'lost') {
        messageLog.warn('outbox: lease lost before the attempt; another dispatcher has the message');
        return { kind: 'pending' };
      }
      const started = performance.now();
      const outcome = await this.sendWithTimeout(name, message);
      const recovered = health.record(outcome, this.now().getTime());
      const elapsedMs = performance.now() - started;
      const ms = Math.round(elapsedMs);
      // A request cut short by shutdown says nothing about the vendor.
      if (outcome.code !== HANDED_BACK) this.deps.metrics?.requestEnded(name, outcome, elapsedMs / 1000);
      // A resend under the same reference that got no acceptance leaves the first attempt as
      // unknown as before; it counts as one more answer that could not tell.
      const unknown = outcomeIsUnknown(outcome) ? 'unknown' : unresolved && outcome.outcome === 'retryable' ? 'unconfirmed' : 'known';
      const result = await this.recordOutcome(message, name, outcome, messageLog.child({ gateway: name, ms }), unknown, ending);
      if (recovered) await this.retryQueuedNow(name);
      return result;
    } catch (err) {
      // The store failed: the lease runs out and the message is tried again later.
      messageLog.error({ err }, 'outbox: attempt could not be recorded');
      return { kind: 'pending' };
    }
  }

  /** The number opted out of the message's channel: the text fails without a request, and the caller hears why. */
  private async optedOut(message: MessageRecord, log: Logger, ending?: CarriedEnding): Promise<FirstAttempt> {
    const refused = await this.record(
      message,
      { status: 'failed', via: null, errorCode: 'suppressed', errorDetail: `the number has opted out of ${message.channel} messages` },
      this.iso(),
      { kind: 'refused', reason: 'unsubscribed' },
      ending,
    );
    log.info('text not sent: the number has opted out');
    return refused;
  }

  /**
   * A gateway answers again after an outage: texts waiting out their backoff on it are due
   * now, rather than minutes after it came back (the backoff has grown through the outage).
   */
  private async retryQueuedNow(gateway: string): Promise<void> {
    const count = await this.deps.store.retryQueuedNow(gateway, this.iso());
    if (count === 0) return;
    this.deps.log.info({ gateway, count }, 'gateway answers again: texts waiting for a retry are due now');
    this.kick();
  }

  /** unknown: whether the vendor may have accepted a text this attempt did not see accepted. */
  private async recordOutcome(
    message: MessageRecord,
    via: string,
    outcome: SendOutcome,
    log: Logger,
    unknown: 'known' | 'unknown' | 'unconfirmed' = 'known',
    ending?: CarriedEnding,
  ): Promise<FirstAttempt> {
    const inFlight = unknown === 'known' ? {} : { outcomeUnknown: true, lookupUnanswered: unknown === 'unconfirmed' };
    const at = this.iso();
    if (outcome.outcome === 'accepted') {
      const sent = await this.record(
        message,
        { status: 'sent', via, vendorMessageId: outcome.vendorMessageId, vendorStatus: outcome.code ?? null },
        at,
        { kind: 'sent' },
        ending,
      );
      log.info({ attempt: message.attempts + 1 }, 'text accepted by the gateway');
      return sent;
    }
    if (outcome.outcome === 'permanent') {
      if (outcome.reason === 'unsubscribed') {
        await this.deps.store.suppress({ number: message.to, channel: message.channel, keyword: outcome.code, source: via, createdAt: at });
      }
      const failed: AttemptRecord = { status: 'failed', via, errorCode: outcome.code, errorDetail: outcome.detail };
      const refused = await this.record(message, failed, at, { kind: 'refused', reason: outcome.reason }, ending);
      log.warn({ code: outcome.code, reason: outcome.reason }, 'text refused by the gateway');
      return refused;
    }
    if (outcome.code === HANDED_BACK) {
      // Not the gateway's failure: due again at once, and it does not use up an attempt.
      const pending = await this.record(
        message,
        { status: 'queued', via, nextAttemptAt: at, errorCode: outcome.code, errorDetail: outcome.detail, countsAsAttempt: false, ...inFlight },
        at,
        { kind: 'pending' },
        ending,
      );
      log.info('text handed back at shutdown: the next dispatcher sends it');
      return pending;
    }
    const attempts = message.attempts + 1;
    if (attempts >= this.deps.settings.maxAttempts) {
      const refused = await this.record(
        message,
        { status: 'failed', via, errorCode: outcome.code, errorDetail: `gave up after ${attempts} attempts: ${outcome.detail}` },
        at,
        { kind: 'refused', reason: 'rejected' },
        ending,
      );
      log.error({ code: outcome.code, attempts }, 'text failed: out of attempts');
      return refused;
    }
    const delay = Math.max(outcome.retryAfterMs ?? 0, retryDelayMs(attempts, this.deps.settings.retryBaseMs, this.random));
    const nextAttemptAt = new Date(this.now().getTime() + delay).toISOString();
    const pending = await this.record(
      message,
      { status: 'queued', via, nextAttemptAt, errorCode: outcome.code, errorDetail: outcome.detail, countsAsAttempt: true, ...inFlight },
      at,
      { kind: 'pending' },
      ending,
    );
    log.warn({ code: outcome.code, attempts, retryInMs: delay, outcomeUnknown: unknown !== 'known' }, 'text not sent yet: will retry');
    return pending;
  }

  /**
   * Records an attempt's result and answers `result`, what the caller hears of it. The
   * caller's call ending rides on the same write when sendNow carries one (CarriedEnding).
   */
  private async record(message: MessageRecord, attempt: AttemptRecord, at: string, result: FirstAttempt, ending?: CarriedEnding): Promise<FirstAttempt> {
    const end = ending?.for(result);
    if (end) ending!.ended = (await this.deps.store.recordFirstAttempt(message.id, attempt, at, end)).ended;
    else await this.deps.store.recordAttempt(message.id, attempt, at);
    return result;
  }

  /**
   * The resend check, for a text whose last attempt (through attemptVia, since
   * attemptStartedAt) has an unknown outcome. That gateway, not the fallback, is the one
   * that may have it: a 'lookup' gateway is asked (found: recorded as sent, nothing
   * sent; not found: sent now; could not tell: asked again later, MAX_UNANSWERED_LOOKUPS
   * times, then sent anyway); an 'idempotent' one takes the resend under the same
   * reference (our message id), so it goes through it alone; any other is sent again,
   * at least once, counted and logged as a possible duplicate.
   */
  private async resendCheck(message: MessageRecord, log: Logger): Promise<ResendPlan> {
    const via = message.attemptVia ?? message.sentVia ?? message.gateway;
    const gateway = this.deps.gateways.get(via);
    const metrics = this.deps.metrics;
    const unanswered = message.unansweredLookups;
    if (gateway?.resendSafety === 'idempotent' && unanswered < MAX_UNANSWERED_LOOKUPS) {
      metrics?.resendChecked?.(via, 'idempotent');
      log.info({ gateway: via }, 'outbox: last attempt unknown; resending under the same reference, which the vendor deduplicates');
      return { kind: 'same-gateway', gateway: via };
    }
    if (gateway?.resendSafety === 'lookup' && gateway.findSent && unanswered < MAX_UNANSWERED_LOOKUPS) {
      const since = message.attemptStartedAt ?? message.createdAt;
      const found = await this.findSent(gateway, message, since);
      metrics?.resendChecked?.(via, found.kind);
      if (found.kind === 'found') {
        await this.deps.store.recordAttempt(
          message.id,
          { status: 'sent', via, vendorMessageId: found.vendorMessageId, vendorStatus: found.code ?? null },
          this.iso(),
        );
        log.info({ gateway: via }, 'outbox: last attempt unknown; the vendor has the text: recorded as sent, not sent again');
        return { kind: 'settled', result: { kind: 'sent' } };
      }
      if (found.kind === 'not-found') {
        log.info({ gateway: via }, 'outbox: last attempt unknown; the vendor does not have the text: sending it');
        return { kind: 'send' };
      }
      if (unanswered + 1 < MAX_UNANSWERED_LOOKUPS) {
        const nextAttemptAt = new Date(this.now().getTime() + retryDelayMs(unanswered + 1, this.deps.settings.retryBaseMs, this.random));
        await this.deps.store.recordAttempt(
          message.id,
          {
            status: 'queued',
            via: message.sentVia,
            nextAttemptAt: nextAttemptAt.toISOString(),
            errorCode: LOOKUP_UNKNOWN,
            errorDetail: found.detail,
            countsAsAttempt: false,
            outcomeUnknown: true,
            lookupUnanswered: true,
          },
          this.iso(),
        );
        log.warn({ gateway: via, lookups: unanswered + 1 }, 'outbox: last attempt unknown and the vendor could not tell: asking again later');
        return { kind: 'settled', result: { kind: 'pending' } };
      }
    }
    metrics?.resendChecked?.(via, 'possible-duplicate');
    log.warn(
      { gateway: via, unansweredLookups: unanswered },
      gateway?.resendSafety
        ? 'outbox: last attempt unknown and the vendor never could tell: sending again (possible duplicate)'
        : 'outbox: last attempt unknown and the gateway offers no lookup or idempotency: sending again (possible duplicate)',
    );
    return { kind: 'send' };
  }

  private async findSent(gateway: SmsGateway, message: MessageRecord, since: string): Promise<SentLookup> {
    const lookup = gateway.findSent;
    if (!lookup) return { kind: 'unknown', detail: `${gateway.name} has no lookup` };
    const timeoutMs = this.deps.settings.attemptTimeoutMs;
    return this.withTimeout(
      (signal) => lookup.call(gateway, outgoingOf(message), since, signal),
      { kind: 'unknown', detail: `no answer to the lookup within ${timeoutMs} ms` },
      { kind: 'unknown', detail: 'the server shut down during the lookup' },
      (err) => ({ kind: 'unknown', detail: `the lookup threw: ${err.message}` }),
    );
  }

  private async sendWithTimeout(name: string, message: MessageRecord): Promise<SendOutcome> {
    const gateway = this.deps.gateways.get(name);
    if (!gateway) return { outcome: 'retryable', code: 'gateway-not-configured', detail: `no gateway named ${name}` };
    const timeoutMs = this.deps.settings.attemptTimeoutMs;
    return this.withTimeout<SendOutcome>(
      (signal) => gateway.send(outgoingOf(message), signal),
      { outcome: 'retryable', code: 'timeout', detail: `no answer within ${timeoutMs} ms` },
      { outcome: 'retryable', code: HANDED_BACK, detail: 'the server shut down during the attempt: handed back' },
      (err) => ({ outcome: 'retryable', code: 'gateway-exception', detail: err.message }),
    );
  }

  /**
   * One vendor request, cut short by the attempt timeout or by shutdown's hand-back.
   * Adapters honour the abort signal; the race makes sure one that does not cannot hold a slot.
   */
  private async withTimeout<T>(run: (signal: AbortSignal) => Promise<T>, timedOutAs: T, handedBackAs: T, thrown: (err: Error) => T): Promise<T> {
    const timeoutMs = this.deps.settings.attemptTimeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<T>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(timedOutAs);
      }, timeoutMs);
    });
    const handBack = this.handBack.signal;
    let onHandBack: (() => void) | undefined;
    const handedBack = new Promise<T>((resolve) => {
      onHandBack = () => {
        controller.abort();
        resolve(handedBackAs);
      };
      if (handBack.aborted) onHandBack();
      else handBack.addEventListener('abort', onHandBack, { once: true });
    });
    try {
      return await Promise.race([run(controller.signal), timedOut, handedBack]);
    } catch (err) {
      return thrown(err as Error);
    } finally {
      clearTimeout(timer);
      if (onHandBack) handBack.removeEventListener('abort', onHandBack);
    }
  }

  /**
   * The campaign's gateway, unless it has a fallback and either the primary's breaker is
   * open or this message has already failed there FAILOVER_AFTER_ATTEMPTS times; from then
   * on the message alternates, so an outage of either one alone never strands it.
   */
  private chooseGateway(message: MessageRecord): string {
    const primary = message.gateway;
    const fallback = message.fallbackGateway;
    if (!fallback || !this.deps.gateways.has(fallback)) return primary;
    const nowMs = this.now().getTime();
    if (this.healthOf(primary).isOpen(nowMs) && !this.healthOf(fallback).isOpen(nowMs)) return fallback;
    if (message.attempts < FAILOVER_AFTER_ATTEMPTS) return primary;
    return message.sentVia === primary ? fallback : primary;
  }

  private healthOf(name: string): GatewayHealth {
    let health = this.health.get(name);
    if (!health) {
      health = new GatewayHealth();
      this.health.set(name, health);
    }
    return health;
  }

  private iso(): string {
    return this.now().toISOString();
  }

  /** The lease taken at claim time still covers a whole attempt unless the wait for a slot ate its margin. */
  private leaseTooShort(lease: string): boolean {
    return this.now().getTime() + this.deps.settings.attemptTimeoutMs >= Date.parse(lease);
  }

  private leaseUntil(): string {
    return new Date(this.now().getTime() + this.deps.settings.attemptTimeoutMs + LEASE_MARGIN_MS).toISOString();
  }
}

/** What a gateway is given to send: the message as stored, in the port's terms. */
export function outgoingOf(message: MessageRecord): OutgoingSms {
  return {
    id: message.id,
    to: message.to,
    body: message.body,
    ...(message.channel !== 'sms' ? { channel: message.channel } : {}),
    ...(message.template ? { template: message.template } : {}),
    ...(message.c2m ? { c2m: message.c2m } : {}),
    ...(message.smsFallbackByVendor ? { smsFallbackByVendor: true } : {}),
  };
}
