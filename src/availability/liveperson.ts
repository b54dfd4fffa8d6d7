import { excerpt, type VendorReply } from '../sms/vendor-http';
import { askWithin, failed, seconds } from './remote';
import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';
import { redact, resolveHeaders, type Secrets } from './secrets';
import { isAbsoluteHttpUrl, type LivePersonSettings } from './settings';

/**
 * LivePerson's IVR Engagement API: one POST per call asks whether an agent can take a
 * chat now. "Available" comes with a short-lived, one-time urlToChat to text the caller;
 * "Not Available" means hand the call back. Errors come as {time, message, internalCode}.
 */
export class LivePersonAvailability implements AvailabilityCheck {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly secretValues: string[];
  private readonly body: string;

  /** Throws when a header names an unset secret: that is a start-up error, not a per-call one. */
  constructor(
    private readonly settings: LivePersonSettings,
    secrets: Secrets,
  ) {
    this.url = engagementUrl(settings);
    ({ headers: this.headers, secretValues: this.secretValues } = resolveHeaders(settings.headers, secrets));
    this.body = JSON.stringify({
      appType: 'IVR',
      consumerSections: settings.consumerSections,
      engagementAttributes: settings.engagementAttributes,
    });
  }

  async check(_request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const result = await askWithin(
      {
        method: 'POST',
        url: this.url,
        headers: { ...this.headers, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: this.body,
      },
      this.settings.timeoutMs,
      signal,
    );
    const answer = result.ok ? answerOf(result.reply) : failed(`LivePerson: ${result.detail}`);
    return answer.kind === 'error' ? failed(redact(answer.detail, this.secretValues)) : answer;
  }
}

export function engagementUrl(settings: Pick<LivePersonSettings, 'accountId' | 'baseUrl' | 'domain'>): string {
  const base = (settings.baseUrl ?? `https://${settings.domain}`).replace(/\/+$/, '');
  return `${base}/api/account/${encodeURIComponent(settings.accountId)}/external/engagement?v=1.0`;
}

function answerOf(reply: VendorReply): AvailabilityAnswer {
  if (reply.status < 200 || reply.status > 299) return failed(errorDetail(reply));
  const json = reply.json;
  if (!isRecord(json)) return failed(`LivePerson answer is not a JSON object: ${excerpt(reply.body, 100)}`);
  if (json.status === 'Not Available') return { kind: 'not-available', detail: 'LivePerson: Not Available' };
  if (json.status === undefined) return failed('LivePerson answer has no status');
  if (json.status !== 'Available') return failed(`LivePerson answered unknown status ${excerpt(JSON.stringify(json.status), 40)}`);

  const details = isRecord(json.engagementDetails) ? json.engagementDetails : {};
  // Texting the campaign link instead would skip the engagement LivePerson just reserved,
  // so an Available answer without a usable urlToChat is malformed, not "available".
  if (!isAbsoluteHttpUrl(details.urlToChat)) return failed('LivePerson answer has no absolute http(s) urlToChat');
  const validForSeconds = seconds(details.validForSeconds);
  const expectedWaitSeconds = seconds(details.expectedWaitTimeSeconds);
  const queueSize = seconds(details.queueSize);
  return {
    kind: 'available',
    chatUrl: details.urlToChat,
    ...(validForSeconds !== undefined ? { validForSeconds } : {}),
    ...(expectedWaitSeconds !== undefined ? { expectedWaitSeconds } : {}),
    ...(queueSize !== undefined ? { queueSize } : {}),
  };
}

/** The message and internalCode say what went wrong; time is LivePerson's clock, of no use here. */
function errorDetail(reply: VendorReply): string {
  const prefix = `LivePerson answered HTTP ${reply.status}`;
  const json = reply.json;
  if (isRecord(json) && typeof json.message === 'string') {
    const { internalCode } = json;
    const code = typeof internalCode === 'number' || typeof internalCode === 'string' ? ` (internalCode ${excerpt(String(internalCode), 20)})` : '';
    return `${prefix}: ${excerpt(json.message, 160)}${code}`;
  }
  const body = excerpt(reply.body, 100);
  return body ? `${prefix}: ${body}` : prefix;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
