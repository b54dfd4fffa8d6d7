import { inviteOf } from '../channels/c2m-offer';
import type { C2mInvite, ChannelName, FallbackPlan, TemplateContent } from '../channels/channel';
import { channelEntryOf } from '../campaigns/channel-prompts';
import type { Campaign, ChannelEntry } from '../campaigns/schema';
import type { CallRecord } from '../store/port';
import { renderMessage } from './message';

/**
 * What a call's message is on its channel (issue 18): the body (SMS and RCS text; for a
 * WhatsApp template, its wording for our records), the filled template, the gateway, and
 * the fallback plan stored with it. Pure: the send step stores what this returns.
 */

/** LivePerson's own invites go through this gateway (src/channels/c2m-gateway.ts). */
export const C2M_GATEWAY = 'liveperson-c2m';

export interface ChannelMessage {
  channel: ChannelName;
  body: string;
  template?: TemplateContent;
  c2m?: C2mInvite;
  /** RCS: the vendor turns it into an SMS itself when the handset cannot take RCS. */
  smsFallbackByVendor?: boolean;
  gateway: string;
  fallbackGateway: string | null;
}

export interface MessageInputs {
  campaign: Campaign;
  /** The SMS text of the call's variant, or the campaign's, with {link} unfilled. */
  smsTemplate: string;
  /** The short link, and its code (the part after /s/, a WhatsApp URL button's variable). */
  link: string;
  /** The campaign's SMS route (its gateway and failover). */
  smsRoute: { gateway: string; fallbackGateway: string | null };
}

/** The code of a short link: what follows its last "/" (PUBLIC_BASE_URL/s/CODE). */
export function codeOf(link: string): string {
  return link.slice(link.lastIndexOf('/') + 1);
}

function fill(value: string, link: string): string {
  return value.split('{link}').join(link).split('{code}').join(codeOf(link));
}

/**
 * LivePerson Connect-to-Messaging's invite for this call: the eligibility call (at the
 * offer, or at the send for another number) gave its callId. A call LivePerson did not
 * find eligible has no invite: the C2M gateway refuses its message as not on the channel,
 * which sends the fallback.
 */
export function c2mInviteFor(call: Pick<CallRecord, 'c2mEligibility'>, entry: Extract<ChannelEntry, { channel: 'c2m' }>): C2mInvite | undefined {
  return call.c2mEligibility ? inviteOf(call.c2mEligibility.callId, entry) : undefined;
}

/** The message for one channel entry (SMS when there is none: a campaign without channels). */
export function messageOn(entry: ChannelEntry | undefined, inputs: MessageInputs, call: Pick<CallRecord, 'c2mEligibility'>): ChannelMessage {
  const { link, smsTemplate, smsRoute } = inputs;
  if (!entry || entry.channel === 'sms') {
    const gateway = entry?.gateway ?? smsRoute.gateway;
    return {
      channel: 'sms',
      body: renderMessage(entry?.message ?? smsTemplate, link),
      gateway,
      fallbackGateway: smsRoute.fallbackGateway !== gateway ? smsRoute.fallbackGateway : null,
    };
  }
  switch (entry.channel) {
    case 'whatsapp': {
      const template: TemplateContent = {
        name: entry.template.name,
        language: entry.template.language,
        body: entry.template.body.map((v) => fill(v, link)),
        ...(entry.template.urlButton ? { urlButton: fill(entry.template.urlButton, link) } : {}),
      };
      // Our record of what was sent: the template and its variables (the wording is Meta's).
      const body = `[WhatsApp template ${template.name} (${template.language})] ${template.body.join(' | ')}`;
      return { channel: 'whatsapp', body, template, gateway: entry.gateway, fallbackGateway: null };
    }
    case 'rcs':
      return {
        channel: 'rcs',
        body: renderMessage(entry.message, link),
        ...(entry.smsFallbackByVendor ? { smsFallbackByVendor: true } : {}),
        gateway: entry.gateway,
        fallbackGateway: null,
      };
    case 'c2m': {
      const c2m = c2mInviteFor(call, entry);
      return {
        channel: 'c2m',
        body: `[LivePerson Connect-to-Messaging ${entry.skill}] ${link}`,
        ...(c2m ? { c2m } : {}),
        gateway: C2M_GATEWAY,
        fallbackGateway: null,
      };
    }
  }
}

/** The message for the call's channel: the caller's choice, or the campaign's first. */
export function messageFor(channel: ChannelName | null, inputs: MessageInputs, call: Pick<CallRecord, 'c2mEligibility'>): ChannelMessage {
  return messageOn(channelEntryOf(inputs.campaign, channel), inputs, call);
}

/**
 * What goes out if the call's message does not get through. Fallback mode: the entry after
 * the call's channel, once, after fallbackAfterSeconds without a receipt. Choice mode: the
 * campaign's SMS entry when the caller chose another channel (only on failure: a caller who
 * chose WhatsApp is not texted just because they have not opened it yet). Else none.
 */
export function fallbackPlanFor(channel: ChannelName | null, inputs: MessageInputs, call: Pick<CallRecord, 'c2mEligibility'>): FallbackPlan | null {
  const channels = inputs.campaign.channels;
  if (!channels || !channel) return null;
  let next: ChannelEntry | undefined;
  let afterSeconds: number | null = null;
  if (channels.mode === 'fallback') {
    const at = channels.list.findIndex((e) => e.channel === channel);
    next = at >= 0 ? channels.list[at + 1] : undefined;
    afterSeconds = channels.fallbackAfterSeconds;
  } else if (channel !== 'sms') {
    next = channels.list.find((e) => e.channel === 'sms');
  }
  if (!next) return null;
  // RCS whose vendor sends the SMS itself (Twilio's Messaging Service, Vonage's failover):
  // an SMS of ours too would be the second text.
  const current = channelEntryOf(inputs.campaign, channel);
  if (current?.channel === 'rcs' && current.smsFallbackByVendor && next.channel === 'sms') return null;
  const message = messageOn(next, inputs, call);
  return {
    channel: message.channel,
    gateway: message.gateway,
    fallbackGateway: message.fallbackGateway,
    body: message.body,
    ...(message.template ? { template: message.template } : {}),
    afterSeconds,
  };
}
