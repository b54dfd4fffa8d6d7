import type { VoxeoSettings } from './gateway-config';
import type { OutgoingSms, SendOutcome, SmsGateway } from './port';
import { basicAuth, callVendor, formBody, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { isRecord } from './callback-parsing';

/**
 * LEGACY: the service behind this adapter no longer exists (see legacyVoxeoWarning); kept
 * for the seed's users, and warned about at every start.
 *
 * Voxeo (Aspect) Evolution's legacy messaging API: one form POST to .../1.0/messaging
 * with HTTP Basic (the Evolution account) and the application's SMS botkey. It sends no
 * delivery receipts, and inbound texts reach the Voxeo application, not us.
 *
 * What it answers is not documented anywhere we could find. The API grew out of IMified,
 * whose clients read an XML body `<rsp stat="ok">` as success and any other stat as a
 * failure (with an `<err msg="...">`). So: a 2xx whose body is an `<rsp>` with a stat
 * other than "ok" is a refusal; any other 2xx is accepted, with the vendor's id when the
 * body carries one (XML `<id>`, JSON `id` or `messageId`) and otherwise ours, prefixed.
 */
export class VoxeoGateway implements SmsGateway {
  readonly name = 'voxeo';

  constructor(private readonly settings: VoxeoSettings) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const call = await callVendor({
      method: 'POST',
      url: this.settings.url,
      headers: {
        // Credentials in the header only: Voxeo's examples also show them in the URL,
        // where they would end up in proxy and access logs.
        Authorization: basicAuth(this.settings.user, this.settings.password),
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: formBody({
        botkey: this.settings.botKey,
        apimethod: 'send',
        msg: sms.body,
        // The destination. One Voxeo help page's example names it `userkey` (IMified's
        // field for an IM user's key); Voxeo's other examples name it `user`, as does
        // the field list we follow. Numbers go as country code and digits, no "+".
        user: sms.to.replace(/^\+/, ''),
        network: 'SMS',
        from: this.settings.from,
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply, sms) : call.outcome;
  }
}

function outcomeOf(reply: VendorReply, sms: OutgoingSms): SendOutcome {
  const detail = `Voxeo answered ${reply.status}: ${reply.body}`;
  if (reply.status >= 200 && reply.status < 300) {
    const stat = rspStat(reply.body);
    if (stat !== undefined && stat !== 'ok') {
      return { outcome: 'permanent', code: `voxeo-${stat || 'fail'}`, detail, reason: refusalReason(reply.body, sms.to) };
    }
    return { outcome: 'accepted', vendorMessageId: vendorIdOf(reply) ?? `voxeo-${sms.id}` };
  }
  if (reply.status === 400 && refusalReason(reply.body, sms.to) === 'invalid-number') {
    return { outcome: 'permanent', code: 'http-400', detail, reason: 'invalid-number' };
  }
  return outcomeOfHttpStatus(reply, detail);
}

/** The stat attribute of an IMified-style `<rsp>` answer; undefined when the body is not one. */
function rspStat(body: string): string | undefined {
  return /<rsp\b[^>]*?\bstat\s*=\s*["']([^"']*)["']/i.exec(body)?.[1]?.toLowerCase();
}

function vendorIdOf(reply: VendorReply): string | undefined {
  if (isRecord(reply.json)) {
    const id = reply.json.id ?? reply.json.messageId;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return /<id>\s*([^<\s]+)\s*<\/id>/i.exec(reply.body)?.[1];
}

/**
 * A refusal that names the destination (its digits, or words like "number" or "user",
 * Voxeo's name for the destination field) is about the number: the caller may give
 * another. Anything else is a refusal of this message as sent.
 */
function refusalReason(body: string, to: string): 'invalid-number' | 'rejected' {
  const namesNumber = body.includes(to.replace(/^\+/, '')) || /\b(?:number|phone|user(?:key)?|recipient|destination)\b/i.test(body);
  return namesNumber ? 'invalid-number' : 'rejected';
}


/** Who uses the voxeo gateway, as start-up sees it. */
export interface VoxeoUse {
  /** VOXEO_* variables are set. */
  configured: boolean;
  defaultGateway: string;
  fallbackGateway: string | undefined;
  campaigns: readonly { id: string; gateway?: string | undefined; fallbackGateway?: string | undefined }[];
}

/**
 * Voxeo's messaging API no longer exists: Voxeo became Aspect, and its Tropo became
 * Cisco's and closed. The adapter stays for the seed's users, but a deployment that still
 * configures or chooses it is told at every start, once, with who uses it, since its
 * texts most likely go nowhere. Nothing to say when no one does.
 */
export function legacyVoxeoWarning(use: VoxeoUse): { fields: Record<string, unknown>; message: string } | undefined {
  const campaigns = use.campaigns.filter((c) => c.gateway === 'voxeo' || c.fallbackGateway === 'voxeo').map((c) => c.id);
  const asDefault = use.defaultGateway === 'voxeo';
  const asFallback = use.fallbackGateway === 'voxeo';
  if (!use.configured && !asDefault && !asFallback && campaigns.length === 0) return undefined;
  return {
    fields: { gateway: 'voxeo', legacy: true, smsGateway: asDefault, smsFallbackGateway: asFallback, campaigns },
    message:
      'the voxeo gateway is legacy: Voxeo\'s messaging API no longer exists (Voxeo became Aspect; Tropo became Cisco\'s and closed), so its texts may never arrive: move to another gateway',
  };
}
