import type { Logger } from 'pino';
import { newMessageId } from '../ids';
import { maskNumber } from '../phone';
import { measureSms } from '../sms/segments';
import type { FallbackResult, FallbackWhy, MessageRecord, NewMessage, Store } from '../store/port';

/**
 * The channel fallback: when a message's first channel does not get through, the plan it
 * was created with (FallbackPlan) goes out instead, exactly once. The store decides the
 * "once" (Store.fallBack is one compare-and-set transaction, whoever calls it: the
 * dispatcher after a refusal, the sweep after a failed receipt or a silent window, on any
 * instance, after any restart); this module only builds the fallback message and says why.
 *
 * What counts as getting through: a delivered or read receipt. Sent (the vendor accepted
 * it) is not enough: a WhatsApp message to a number without WhatsApp is accepted, then
 * fails; a silent channel is what afterSeconds is for.
 */
export class FallbackEngine {
  constructor(
    private readonly deps: { store: Store; log: Logger; now: () => Date; newId?: () => string },
  ) {}

  /** Falls back from `first` now (once; a second call anywhere gets 'already'). */
  async fallBack(first: MessageRecord, why: FallbackWhy): Promise<FallbackResult> {
    const at = this.deps.now().toISOString();
    const fallback = fallbackMessageOf(first, (this.deps.newId ?? newMessageId)(), at);
    if (!fallback) return { kind: 'already' };
    const result = await this.deps.store.fallBack(first.id, fallback, why, at);
    const fields = { messageId: first.id, to: maskNumber(first.to), from: first.channel, channel: first.fallback?.channel, why };
    if (result.kind === 'created') this.deps.log.info({ ...fields, fallbackId: result.message.id }, 'channel fallback: sending on the next channel');
    if (result.kind === 'opted-out') this.deps.log.info(fields, 'channel fallback skipped: the number opted out of that channel');
    return result;
  }

  /**
   * The sweep: every message whose fallback is due (failed or undelivered, or silent past
   * its window, including while this process was down) falls back now. Returns the
   * fallback messages created, already queued and due.
   */
  async sweep(limit: number): Promise<MessageRecord[]> {
    const due = await this.deps.store.dueFallbacks(this.deps.now().toISOString(), limit);
    const created: MessageRecord[] = [];
    for (const message of due) {
      const result = await this.fallBack(message, whyOf(message));
      if (result.kind === 'created') created.push(result.message);
    }
    return created;
  }
}

/** Why a message found by the sweep falls back. */
function whyOf(message: MessageRecord): FallbackWhy {
  if (message.status === 'queued') return 'vendor-down';
  if (message.status === 'sent') return 'no-delivery';
  return message.errorCode === 'not-on-channel' ? 'not-on-channel' : 'failed';
}

/**
 * The fallback message of `first`, as its plan says: same call, number and caller, the
 * plan's channel, gateway, text or template; due at once; no fallback of its own.
 * undefined when the message has no plan.
 */
export function fallbackMessageOf(first: MessageRecord, id: string, at: string): NewMessage | undefined {
  const plan = first.fallback;
  if (!plan) return undefined;
  // Only a text is measured in segments; a template or an RCS message is one message.
  const measure = plan.channel === 'sms' ? measureSms(plan.body) : { segments: 1, encoding: 'GSM-7' as const };
  return {
    id,
    callId: first.callId,
    campaignId: first.campaignId,
    to: first.to,
    caller: first.caller,
    body: plan.body,
    channel: plan.channel,
    ...(plan.template ? { template: plan.template } : {}),
    gateway: plan.gateway,
    fallbackGateway: plan.fallbackGateway,
    segments: measure.segments,
    encoding: measure.encoding,
    fallbackOf: first.id,
    createdAt: at,
    dueAt: at,
  };
}
