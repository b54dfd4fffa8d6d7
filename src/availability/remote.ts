import type { OutboundClient, OutboundReply } from '../outbound/client';
import type { AvailabilityAnswer } from './port';

/** What the remote availability checks (LivePerson, any JSON endpoint) share. */

export interface RemoteRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export type RemoteResult = { ok: true; reply: OutboundReply } | { ok: false; detail: string };

/**
 * One request, under the outbound policy, bounded by the campaign's timeout and the
 * caller's signal. It matters whose abort it was: a timeout is the endpoint's fault (worth
 * caching) and the caller hanging up is not. Failures are described in our words (a
 * category, an error code), never with the remote host's.
 */
export async function askWithin(client: OutboundClient, request: RemoteRequest, timeoutMs: number, signal: AbortSignal): Promise<RemoteResult> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const call = await client.request({ ...request, signal: AbortSignal.any([signal, deadline]) });
  if (call.ok) return call;
  if (signal.aborted) return { ok: false, detail: 'the caller stopped waiting' };
  if (deadline.aborted) return { ok: false, detail: `no answer within ${timeoutMs} ms` };
  return { ok: false, detail: call.detail };
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

/** A status outside 2xx: the status alone (the body is the remote host's to write, not ours to repeat). */
export function statusDetail(reply: OutboundReply, prefix = 'HTTP'): string {
  const redirect = reply.status >= 300 && reply.status < 400 ? ' (redirects are not followed)' : '';
  return `${prefix} ${reply.status}${redirect}`;
}
