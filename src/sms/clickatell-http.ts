import { SegmentedMessage } from 'sms-segments-calculator';
import { outcomeOfClickatellLegacyError } from './clickatell-legacy-errors';
import type { ClickatellHttpSettings } from './gateway-config';
import type { OutgoingSms, SendOutcome, SmsGateway } from './port';
import { callVendor, formBody, outcomeOfHttpStatus, type VendorReply } from './vendor-http';

/**
 * Clickatell's legacy HTTP API (Developers' Central accounts): a form POST to
 * {base}/http/sendmsg with the account's user, password and api_id, answered in plain
 * text, `ID: <apimsgid>` or `ERR: <code>, <description>`, usually with HTTP 200 either
 * way. Its error numbers are the legacy ones (clickatell-legacy-errors.ts).
 * Receipts and replies are left to the One API integration: this adapter only sends.
 */
export class ClickatellHttpGateway implements SmsGateway {
  readonly name = 'clickatell-http';

  constructor(private readonly settings: ClickatellHttpSettings) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const call = await callVendor({
      method: 'POST',
      url: `${this.settings.baseUrl}/http/sendmsg`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      // The API also takes these as query parameters; in the body they stay out of
      // proxy and access logs.
      body: formBody({
        user: this.settings.user,
        password: this.settings.password,
        api_id: this.settings.apiId,
        to: sms.to.replace(/^\+/, ''),
        ...textFields(sms.body),
        from: this.settings.from?.replace(/^\+/, ''),
        // Our id, echoed in Clickatell's reports for support cases.
        climsgid: sms.id,
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }
}

/**
 * The legacy API sends one part unless `concat` allows more (else ERR 113), and takes
 * text outside GSM-7 only as hex UCS-2 (UTF-16BE) with `unicode=1`.
 */
function textFields(body: string): Record<string, string | undefined> {
  const measure = new SegmentedMessage(body);
  const concat = measure.segmentsCount > 1 ? String(measure.segmentsCount) : undefined;
  if (measure.encodingName === 'GSM-7') return { text: body, concat };
  return { text: Buffer.from(body, 'utf16le').swap16().toString('hex').toUpperCase(), unicode: '1', concat };
}

function outcomeOf(reply: VendorReply): SendOutcome {
  const detail = `Clickatell answered ${reply.status}: ${reply.body}`;
  if (reply.status !== 200) return outcomeOfHttpStatus(reply, detail);
  const id = /^\s*ID:\s*(\S+)/.exec(reply.body)?.[1];
  if (id) return { outcome: 'accepted', vendorMessageId: id };
  const error = /^\s*ERR:\s*(\d+)\s*,?\s*(.*)$/m.exec(reply.body);
  if (error) return outcomeOfClickatellLegacyError({ code: Number(error[1]), description: error[2].trim() });
  return { outcome: 'retryable', code: 'malformed-reply', detail };
}
