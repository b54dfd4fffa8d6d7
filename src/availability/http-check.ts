import { excerpt, type VendorReply } from '../sms/vendor-http';
import { askWithin, failed, seconds, valueAt } from './remote';
import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';
import { redact, resolveHeaders, type Secrets } from './secrets';
import { isAbsoluteHttpUrl, type HttpAvailabilitySettings } from './settings';

/**
 * Availability from any JSON endpoint the brand runs: the campaign says where in the
 * answer to look (availablePath, and optionally a one-time chat URL and the wait).
 */
export class HttpAvailability implements AvailabilityCheck {
  private readonly headers: Record<string, string>;
  private readonly secretValues: string[];

  /** Throws when a header names an unset secret: that is a start-up error, not a per-call one. */
  constructor(
    private readonly settings: HttpAvailabilitySettings,
    secrets: Secrets,
  ) {
    ({ headers: this.headers, secretValues: this.secretValues } = resolveHeaders(settings.headers, secrets));
  }

  async check(_request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const { settings } = this;
    // A body on a GET is dropped by some proxies and refused by others: POST only.
    const body = settings.method === 'POST' && settings.body !== undefined ? JSON.stringify(settings.body) : undefined;
    const result = await askWithin(
      {
        method: settings.method,
        url: settings.url,
        headers: { ...this.headers, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
      },
      settings.timeoutMs,
      signal,
    );
    const answer = result.ok ? this.read(result.reply) : failed(result.detail);
    return answer.kind === 'error' ? failed(redact(answer.detail, this.secretValues)) : answer;
  }

  private read(reply: VendorReply): AvailabilityAnswer {
    const { availablePath, availableEquals, urlPath, validForSecondsPath, waitSecondsPath } = this.settings;
    if (reply.status < 200 || reply.status > 299) return failed(statusDetail(reply));
    if (reply.json === undefined) return failed(`answer is not JSON: ${excerpt(reply.body, 100)}`);

    const flag = valueAt(reply.json, availablePath);
    if (flag === undefined) return failed(`answer has no ${availablePath}`);
    const available = availableEquals !== undefined ? flag === availableEquals : Boolean(flag);
    if (!available) return { kind: 'not-available', detail: `${availablePath} is ${excerpt(JSON.stringify(flag), 60)}` };

    // The endpoint may have no URL to give this time (the campaign link is texted then);
    // a URL that is there but unusable means the answer cannot be trusted.
    const chatUrl = urlPath ? valueAt(reply.json, urlPath) : undefined;
    if (chatUrl !== undefined && chatUrl !== null && !isAbsoluteHttpUrl(chatUrl)) {
      return failed(`${urlPath} is not an absolute http(s) URL`);
    }
    const validForSeconds = seconds(validForSecondsPath && valueAt(reply.json, validForSecondsPath));
    const expectedWaitSeconds = seconds(waitSecondsPath && valueAt(reply.json, waitSecondsPath));
    return {
      kind: 'available',
      ...(isAbsoluteHttpUrl(chatUrl) ? { chatUrl } : {}),
      ...(validForSeconds !== undefined ? { validForSeconds } : {}),
      ...(expectedWaitSeconds !== undefined ? { expectedWaitSeconds } : {}),
    };
  }
}

function statusDetail(reply: VendorReply): string {
  const body = excerpt(reply.body, 100);
  return body ? `HTTP ${reply.status}: ${body}` : `HTTP ${reply.status}`;
}
