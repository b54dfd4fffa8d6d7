import { Counter, type Registry } from 'prom-client';
import { CHANNEL_NAMES, DEFAULT_CHANNEL, type ChannelName } from '../channels/channel';
import type { CallEvent } from '../store/port';

/**
 * The deflection funnel as counters, one per step, labelled by campaign ("none" for calls
 * to an unknown number). They count the call events the funnel report counts, as the
 * store records them (recorded is its EventObserver), so a dashboard and the console's
 * report tell the same story.
 */
export class FunnelMetrics {
  private readonly started: Counter<'campaign'>;
  private readonly offered: Counter<'campaign'>;
  private readonly notOffered: Counter<'campaign' | 'reason'>;
  private readonly accepted: Counter<'campaign'>;
  private readonly declined: Counter<'campaign'>;
  private readonly handedBack: Counter<'campaign' | 'reason'>;
  private readonly texts: Counter<'campaign' | 'channel' | 'status'>;
  private readonly fallbacks: Counter<'from' | 'to' | 'why'>;
  private readonly linksClicked: Counter<'campaign'>;
  private readonly linksExpired: Counter<'campaign'>;
  private readonly linksPreviewed: Counter<'campaign' | 'by'>;
  private readonly limitsReached: Counter<'campaign' | 'scope'>;
  private readonly pumpingRefusals: Counter<'campaign' | 'reason'>;
  private readonly conversations: Counter<'campaign' | 'outcome'>;

  constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name: `ivr_deflect_${name}`, help, labelNames, registers: [registry] });
    this.started = counter('calls_started_total', 'Calls that reached /vxml/start', ['campaign']);
    this.offered = counter('calls_offered_total', 'Calls that heard the offer', ['campaign']);
    this.notOffered = counter('calls_not_offered_total', 'Calls handed back at start without an offer, by reason', ['campaign', 'reason']);
    this.accepted = counter('offers_accepted_total', 'Callers who pressed the accept key', ['campaign']);
    this.declined = counter('offers_declined_total', 'Callers who pressed the decline key', ['campaign']);
    this.handedBack = counter(
      'calls_handed_back_total',
      'Calls that ended without a text (handed back to the IVR), by reason: the not-offered reasons, caller-declined, no-input, limit-reached, gateway-error...',
      ['campaign', 'reason'],
    );
    this.texts = counter(
      'texts_total',
      'Messages that reached a status: sent (a vendor accepted it), delivered, read (WhatsApp, RCS), failed; by channel (sms, whatsapp, rcs, c2m)',
      ['campaign', 'channel', 'status'],
    );
    this.fallbacks = counter(
      'channel_fallbacks_total',
      'Fallback messages created because the first channel did not get through, by channel left, channel taken and why (not-on-channel, failed, no-delivery, vendor-down)',
      ['from', 'to', 'why'],
    );
    this.linksClicked = counter('links_clicked_total', 'Short links opened by a person (the first click of each link)', ['campaign']);
    this.linksPreviewed = counter(
      'links_previewed_total',
      'Short link fetches by machines, not counted as clicks, by kind: preview (messaging apps), scanner (security gateways), crawler, head, prefetch, no-html',
      ['campaign', 'by'],
    );
    this.linksExpired = counter('links_expired_total', 'Short links opened after they had expired', ['campaign']);
    this.limitsReached = counter(
      'send_limits_reached_total',
      'Texts refused by a send limit, by scope: destination, caller, campaign (caps), service (budget), prefix, country (pumping guard)',
      ['campaign', 'scope'],
    );
    this.pumpingRefusals = counter(
      'pumping_guard_refusals_total',
      'Texts the SMS pumping guard refused, by reason: range-burst, foreign-country-burst (alert on any)',
      ['campaign', 'reason'],
    );
    this.conversations = counter(
      'conversation_outcomes_total',
      'Conversation outcomes the chat platform reported, once per call and outcome: conversation-started, agent-engaged, conversation-resolved, conversation-abandoned',
      ['campaign', 'outcome'],
    );
  }

  /** The store's EventObserver: each event counts at its step. */
  readonly recorded = (events: readonly Omit<CallEvent, 'id'>[]): void => {
    for (const event of events) {
      const campaign = event.campaignId ?? 'none';
      const reason = String(event.detail?.reason ?? 'unknown');
      switch (event.type) {
        case 'started':
          this.started.inc({ campaign });
          break;
        case 'offered':
          this.offered.inc({ campaign });
          break;
        case 'not-offered':
          this.notOffered.inc({ campaign, reason });
          break;
        case 'accepted':
          this.accepted.inc({ campaign });
          break;
        case 'declined':
          this.declined.inc({ campaign });
          break;
        case 'handed-back':
          this.handedBack.inc({ campaign, reason });
          break;
        case 'sms-sent':
          this.texts.inc({ campaign, channel: channelOf(event.detail?.channel), status: 'sent' });
          break;
        case 'sms-delivered':
          this.texts.inc({ campaign, channel: channelOf(event.detail?.channel), status: 'delivered' });
          break;
        case 'message-read':
          this.texts.inc({ campaign, channel: channelOf(event.detail?.channel), status: 'read' });
          break;
        case 'sms-failed':
          this.texts.inc({ campaign, channel: channelOf(event.detail?.channel), status: 'failed' });
          break;
        case 'channel-fallback':
          this.fallbacks.inc({ from: channelOf(event.detail?.from), to: channelOf(event.detail?.to), why: whyOf(event.detail?.why) });
          break;
        case 'link-clicked':
          this.linksClicked.inc({ campaign });
          break;
        case 'link-expired':
          this.linksExpired.inc({ campaign });
          break;
        case 'link-previewed':
          this.linksPreviewed.inc({ campaign, by: previewKindOf(event.detail?.agent) });
          break;
        case 'limit-reached':
          this.limitsReached.inc({ campaign, scope: String(event.detail?.scope ?? 'unknown') });
          if (event.detail?.scope === 'prefix' || event.detail?.scope === 'country') this.pumpingRefusals.inc({ campaign, reason });
          break;
        case 'conversation-started':
        case 'agent-engaged':
        case 'conversation-resolved':
        case 'conversation-abandoned':
          this.conversations.inc({ campaign, outcome: event.type });
          break;
        default:
        // The steps inside the send (number entered, confirmed, queued...) are the reports' detail.
      }
    }
  };
}

/**
 * A channel label: one of the four names, or sms when the event names none (every
 * message before channels, and SMS messages since, whose events carry no channel).
 * Anything else is 'other': labels stay bounded whatever a detail holds.
 */
function channelOf(value: unknown): ChannelName | 'other' {
  if (value === undefined) return DEFAULT_CHANNEL;
  return (CHANNEL_NAMES as readonly unknown[]).includes(value) ? (value as ChannelName) : 'other';
}

/** A preview's agent class ("preview:whatsapp", "head"...) to its kind: a bounded label whatever the detail holds. */
const PREVIEW_KINDS = ['preview', 'scanner', 'crawler', 'head', 'prefetch', 'no-html'] as const;
function previewKindOf(agent: unknown): string {
  const kind = String(agent ?? '').split(':')[0];
  return (PREVIEW_KINDS as readonly string[]).includes(kind ?? '') ? (kind as string) : 'other';
}

/** The documented reasons for a fallback (see the channel-fallback event); anything else is 'other'. */
export const FALLBACK_REASONS = ['not-on-channel', 'failed', 'no-delivery', 'vendor-down'] as const;

function whyOf(value: unknown): string {
  return (FALLBACK_REASONS as readonly unknown[]).includes(value) ? String(value) : 'other';
}
