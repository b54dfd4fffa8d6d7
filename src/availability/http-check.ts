import type { OutboundClient, OutboundReply } from '../outbound/client';
import { askWithin, failed, seconds, statusDetail, valueAt } from './remote';
import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';
import { resolveHeaders, type Secrets } from './secrets';
import { isAbsoluteHttpUrl, type HttpAvailabilitySettings } from './settings';

/**
 * Availability from any JSON endpoint the brand runs: the campaign says where in the
 * answer to look (availablePath, and optionally a one-time chat URL and the wait).
 * Details of a failure name a status and a category, never what the endpoint wrote.
 */
export class HttpAvailability implements AvailabilityCheck {
  private readonly headers: Record<string, string>;

  /** Throws when a header names an unset secret: that is a start-up error, not a per-call one. */
  constructor(
    private readonly settings: HttpAvailabilitySettings,
    secrets: Secrets,
    private readonly client: OutboundClient,
  ) {
    this.headers = resolveHeaders(settings.headers, secrets);
  }

  async check(_request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const { settings } = this;
    // A body on a GET is dropped by some proxies and refused by others: POST only.
    const body = settings.method === 'POST' && settings.body !== undefined ? JSON.stringify(settings.body) : undefined;
    const result = await askWithin(
      this.client,
      {
        method: settings.method,
        url: settings.url,
        headers: { ...this.headers, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
      },
      settings.timeoutMs,
      signal,
    );
    return result.ok ? this.read(result.reply) : failed(result.detail);
  }

  private read(reply: OutboundReply): AvailabilityAnswer {
    const { availablePath, availableEquals, urlPath, validForSecondsPath, waitSecondsPath } = this.settings;
    if (reply.status < 200 || reply.status > 299) return failed(statusDetail(reply));
    if (reply.json === undefined) return failed('answer is not JSON');

    const flag = valueAt(reply.json, availablePath);
    if (flag === undefined) return failed(`answer has no ${availablePath}`);
    const available = availableEquals !== undefined ? flag === availableEquals : Boolean(flag);
    if (!available) {
      const wanted = availableEquals !== undefined ? JSON.stringify(availableEquals) : 'a true value';
      return { kind: 'not-available', detail: `${availablePath} is not ${wanted}` };
    }

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
