import type { OutboundClient, OutboundReply } from '../outbound/client';
import { askWithin, failed, seconds, statusDetail } from './remote';
import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';
import { resolveHeaders, type Secrets } from './secrets';
import { isAbsoluteHttpUrl, type LivePersonSettings } from './settings';

/**
 * LivePerson's IVR Engagement API: one POST per call asks whether an agent can take a
 * chat now. "Available" comes with a short-lived, one-time urlToChat to text the caller;
 * "Not Available" means hand the call back. Errors come as {time, message, internalCode}:
 * a failure's detail keeps the status only, never LivePerson's words (see statusDetail).
 */
export class LivePersonAvailability implements AvailabilityCheck {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly body: string;

  /** Throws when a header names an unset secret: that is a start-up error, not a per-call one. */
  constructor(
    private readonly settings: LivePersonSettings,
    secrets: Secrets,
    private readonly client: OutboundClient,
  ) {
    this.url = engagementUrl(settings);
    this.headers = resolveHeaders(settings.headers, secrets);
    this.body = JSON.stringify({
      appType: 'IVR',
      consumerSections: settings.consumerSections,
      engagementAttributes: settings.engagementAttributes,
    });
  }

  async check(_request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const result = await askWithin(
      this.client,
      {
        method: 'POST',
        url: this.url,
        headers: { ...this.headers, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: this.body,
      },
      this.settings.timeoutMs,
      signal,
    );
    return result.ok ? answerOf(result.reply) : failed(`LivePerson: ${result.detail}`);
  }
}

export function engagementUrl(settings: Pick<LivePersonSettings, 'accountId' | 'baseUrl' | 'domain'>): string {
  const base = (settings.baseUrl ?? `https://${settings.domain}`).replace(/\/+$/, '');
  return `${base}/api/account/${encodeURIComponent(settings.accountId)}/external/engagement?v=1.0`;
}

function answerOf(reply: OutboundReply): AvailabilityAnswer {
  if (reply.status < 200 || reply.status > 299) return failed(statusDetail(reply, 'LivePerson answered HTTP'));
  const json = reply.json;
  if (!isRecord(json)) return failed('LivePerson answer is not a JSON object');
  if (json.status === 'Not Available') return { kind: 'not-available', detail: 'LivePerson: Not Available' };
  if (json.status === undefined) return failed('LivePerson answer has no status');
  if (json.status !== 'Available') return failed('LivePerson answered an unknown status');

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
