import type { ChannelName, FallbackPlan } from '../channels/channel';
import type { AttemptRecord, FallbackWhy, MessageRecord, NewEvent, NewMessage } from './port';

/**
 * The events a message's outcome records, shared by both stores so they say the same.
 * The sms-* events keep their names for every channel (reports count them); a message on
 * another channel names it in the detail, so reports can split them by channel.
 */
export function withChannel(detail: Record<string, string>, channel: ChannelName): Record<string, string> {
  return channel === 'sms' ? detail : { ...detail, channel };
}

/** The event an attempt's result records: sms-sent or sms-failed (its detail before withChannel); none while queued. */
export function attemptEvent(id: string, attempt: AttemptRecord): { type: 'sms-sent' | 'sms-failed'; detail: Record<string, string> } | undefined {
  if (attempt.status === 'queued') return undefined;
  if (attempt.status === 'sent') return { type: 'sms-sent', detail: { messageId: id, via: attempt.via } };
  return { type: 'sms-failed', detail: { messageId: id, code: attempt.errorCode } };
}

/** What a receipt that moved a message records: read, delivered, failed; nothing for sent. */
export function receiptEvents(message: MessageRecord, vendorStatus: string): NewEvent[] {
  const { status } = message;
  if (status === 'read') return [{ type: 'message-read', detail: { messageId: message.id, channel: message.channel } }];
  const type = status === 'delivered' ? 'sms-delivered' : status === 'sent' || status === 'queued' ? undefined : 'sms-failed';
  return type ? [{ type, detail: withChannel({ messageId: message.id, receipt: vendorStatus }, message.channel) }] : [];
}

/** When a new message's timed fallback is due (null: it has none, or only an untimed one). */
export function fallbackDueAt(message: Pick<NewMessage, 'createdAt' | 'fallback'>): string | null {
  const seconds = message.fallback?.afterSeconds;
  if (seconds === null || seconds === undefined) return null;
  return new Date(Date.parse(message.createdAt) + seconds * 1000).toISOString();
}

/** The channel-fallback event's detail. */
export function fallbackEvent(first: MessageRecord, plan: FallbackPlan, why: FallbackWhy, extra: Record<string, string>): NewEvent {
  return { type: 'channel-fallback', detail: { messageId: first.id, from: first.channel, to: plan.channel, why, ...extra } };
}
