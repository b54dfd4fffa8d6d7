import { DEFAULT_CHANNEL } from '../channels/channel';
import type { MessageRecord, MessageStatus } from './port';

/**
 * What a message event (sms-sent, sms-delivered, sms-failed, message-read) adds to its
 * detail about the channel: nothing for SMS, so the events of SMS messages read exactly
 * as before channels; the channel's name otherwise (the metrics label by it). A read
 * event always names its channel.
 */
export function channelDetail(message: Pick<MessageRecord, 'channel' | 'status'>): { channel?: string } {
  return message.channel !== DEFAULT_CHANNEL || message.status === 'read' ? { channel: message.channel } : {};
}

/** The event a receipt that moved a message records; none for one that only says sent. */
export function receiptEventType(status: MessageStatus): 'sms-delivered' | 'message-read' | 'sms-failed' | undefined {
  // A read receipt (WhatsApp, RCS) is not a failure: it is the message-read event.
  if (status === 'delivered') return 'sms-delivered';
  if (status === 'read') return 'message-read';
  if (status === 'sent' || status === 'queued') return undefined;
  return 'sms-failed';
}
