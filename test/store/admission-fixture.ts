import type { ConsentRecord, NewMessage, SendLimit, Store } from '../../src/store/port';

/**
 * One confirmed text as the call flow admits it: the message (fields overridable), its
 * consent record, and the event, at `at`. Shared by the PostgreSQL admission and
 * cross-instance limit tests, which differ only in ids, numbers and limits.
 */
export function admitText(
  store: Store,
  ids: { id: string; callId: string; caller: string },
  to: string,
  limits: SendLimit[],
  at: string,
  overrides: Partial<NewMessage> = {},
) {
  const message: NewMessage = {
    ...ids,
    campaignId: 'support',
    to,
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'primary',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: at,
    ...overrides,
  };
  const consent: Omit<ConsentRecord, 'messageId'> = {
    channel: 'sms',
    channelConsentText: '',
    callId: message.callId,
    campaignId: message.campaignId,
    variant: null,
    dnis: '+18005550100',
    ani: message.caller ?? '',
    destination: to,
    destinationSource: 'ani',
    acceptKey: '1',
    confirmKey: '1',
    offerText: 'Press 1 for a chat link by text.',
    offerVersion: 'a1b2c3d4e5f6',
    offeredAt: at,
    acceptedAt: at,
    confirmedAt: at,
  };
  return store.admitMessage(message, { limits, consent, events: [{ type: 'number-confirmed', detail: { source: 'ani' } }] });
}
