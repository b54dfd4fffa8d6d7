import { callVendor, type VendorReply } from '../sms/vendor-http';
import type { AvailabilityAnswer } from './port';

/** What the remote availability checks (LivePerson, any JSON endpoint) share. */

export interface RemoteRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export type RemoteResult = { ok: true; reply: VendorReply } | { ok: false; detail: string };

/**
 * One request bounded by the campaign's timeout and the caller's signal. callVendor words
 * every abort as a send timeout; here it matters whose abort it was, because a timeout is
 * the endpoint's fault (worth caching) and the caller hanging up is not.
 */
export async function askWithin(request: RemoteRequest, timeoutMs: number, signal: AbortSignal): Promise<RemoteResult> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const call = await callVendor({ ...request, signal: AbortSignal.any([signal, deadline]) });
  if (call.ok) return call;
  if (signal.aborted) return { ok: false, detail: 'the caller stopped waiting' };
  if (deadline.aborted) return { ok: false, detail: `no answer within ${timeoutMs} ms` };
  return { ok: false, detail: 'detail' in call.outcome ? call.outcome.detail : 'network failure' };
}

/**
 * Reads "data.queues.0.open". Own properties only, so a path such as "constructor" reads
 * the answer, not Object.prototype.
 */
export function valueAt(json: unknown, path: string): unknown {
  let current: unknown = json;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      current = /^\d+$/.test(segment) ? current[Number(segment)] : undefined;
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Figures an answer gives are hints: anything but a plain non-negative number is ignored. */
export function seconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function failed(detail: string): AvailabilityAnswer {
  return { kind: 'error', detail };
}
