import type { FallbackWhy, CallState, EventType, MessageStatus } from '../store/port';
import type { HandBackReason } from '../deflection/service';
import type { CallStatus } from '../vxml/model';
import type { NumberProblem } from '../phone';
import type { DeliveryStatus, PermanentReason } from '../sms/port';

/**
 * Human labels for the codes the store and the IVR record, so no console page shows a
 * bare "campaign-cap" or "number-opted-out". One table per code family; each is typed
 * as a Record over its union, so adding a code without a label fails the type check.
 * label() falls back to the code itself: a code from an older row (or a vendor's own
 * error code) is still shown, never an empty cell.
 */

export const EVENT_LABELS: Record<EventType, string> = {
  started: 'Call started',
  'not-offered': 'Not offered',
  offered: 'Offered a text',
  accepted: 'Caller accepted',
  declined: 'Caller declined',
  'handed-back': 'Handed back to the IVR',
  'number-entered': 'Number entered',
  'number-invalid': 'Number refused',
  'number-confirmed': 'Number confirmed',
  'number-opted-out': 'Number is on the opt-out list',
  'limit-reached': 'Send limit reached',
  'sms-queued': 'Message queued',
  'sms-sent': 'Message accepted by the vendor',
  'sms-failed': 'Message failed',
  'sms-delivered': 'Delivery receipt',
  'link-clicked': 'Link clicked',
  'link-expired': 'Expired link opened',
  'link-previewed': 'Link fetched by a machine (preview)',
  'gave-up-while-sending': 'Caller left while the text was sent',
  'answer-outside-grammar': 'Key not understood',
  'channel-chosen': 'Channel chosen',
  'message-read': 'Read receipt',
  'channel-fallback': 'Fell back to another channel',
  'c2m-eligibility': 'LivePerson eligibility checked',
  recontact: 'Repeat caller',
  'conversation-started': 'Conversation started',
  'agent-engaged': 'Agent joined',
  'conversation-resolved': 'Conversation resolved',
  'conversation-abandoned': 'Conversation abandoned',
};

/** Why a call was handed back (not-offered and handed-back events, the call's result). */
export const REASON_LABELS: Record<HandBackReason, string> = {
  'missing-dnis': 'The IVR sent no dialled number',
  'unknown-dnis': 'No campaign for the dialled number',
  'campaign-inactive': 'Campaign switched off',
  'service-off': 'Service switched off',
  'outside-hours': 'Outside opening hours',
  'campaign-cap': 'Campaign daily cap reached',
  'not-available': 'No agents available',
  'wait-too-long': 'Expected wait too long',
  'availability-error': 'Availability check failed',
  'caller-declined': 'Caller declined',
  'no-input': 'Caller pressed nothing',
  'no-match': 'Caller pressed a wrong key',
  'hung-up': 'Caller hung up',
  'invalid-number': 'No valid mobile number',
  'opted-out': 'Number is on the opt-out list',
  'limit-reached': 'Send limit reached',
  'service-budget': 'Service-wide texting budget used up',
  'suspected-pumping': 'Texting to this number range paused (suspected SMS pumping)',
  'not-eligible': 'Not eligible for messaging (LivePerson)',
  'gateway-error': 'The messaging vendor refused the text',
  'call-expired': 'Call expired',
  'campaign-removed': 'Campaign deleted during the call',
  error: 'Internal error',
};

export const MESSAGE_STATUS_LABELS: Record<MessageStatus | DeliveryStatus, string> = {
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  undelivered: 'Not delivered',
  failed: 'Failed',
};

export const CALL_STATE_LABELS: Record<CallState, string> = {
  offered: 'Offered',
  capturing: 'Entering a number',
  confirming: 'Confirming the number',
  sending: 'Sending',
  sent: 'Texted',
  failed: 'Failed',
  'handed-back': 'Handed back',
};

export const CALL_STATUS_LABELS: Record<CallStatus, string> = {
  sent: 'Texted',
  declined: 'Declined',
  unavailable: 'Not offered',
  failed: 'Failed',
};

export const NUMBER_PROBLEM_LABELS: Record<NumberProblem | 'own-number' | 'changed', string> = {
  absent: 'No number',
  withheld: 'Number withheld',
  invalid: 'Not a valid number',
  'short-code': 'A short code',
  'wrong-country': 'Country not allowed',
  'toll-free': 'A toll-free number',
  'premium-rate': 'A premium-rate number',
  'not-mobile': 'Not a mobile number',
  'own-number': 'One of our own numbers',
  changed: 'Number changed after confirming',
};

/** Why a send failed for good, and our own error codes (vendors' codes are shown as they are). */
export const ERROR_LABELS: Record<PermanentReason | 'suppressed' | 'paused' | 'lookup-unknown' | 'timeout' | 'network', string> = {
  'invalid-number': 'Number cannot take texts',
  unsubscribed: 'Recipient opted out',
  blocked: 'Blocked by the vendor or a carrier',
  rejected: 'Rejected by the vendor',
  'not-on-channel': 'Not reachable on this channel',
  suppressed: 'Number is on the opt-out list',
  paused: 'Sending paused',
  'lookup-unknown': 'Vendor could not say whether it sent it',
  timeout: 'Vendor did not answer in time',
  network: 'Network error',
};

export const FALLBACK_LABELS: Record<FallbackWhy, string> = {
  'not-on-channel': 'Not on the first channel',
  refused: 'First channel refused it',
  failed: 'First channel failed',
  'no-delivery': 'No delivery receipt in time',
  'vendor-down': 'First channel’s vendor down',
};

const FAMILIES = {
  event: EVENT_LABELS,
  reason: REASON_LABELS,
  status: MESSAGE_STATUS_LABELS,
  state: CALL_STATE_LABELS,
  result: CALL_STATUS_LABELS,
  problem: NUMBER_PROBLEM_LABELS,
  error: ERROR_LABELS,
  fallback: FALLBACK_LABELS,
} as const;

export type LabelFamily = keyof typeof FAMILIES;

/** The label of a code, or the code itself when it has none (an older row, a vendor's code). */
export function label(family: LabelFamily, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '';
  const table = FAMILIES[family] as Record<string, string>;
  return Object.hasOwn(table, code) ? (table[code] as string) : code;
}
