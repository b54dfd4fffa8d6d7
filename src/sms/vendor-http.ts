import axios, { type AxiosInstance } from 'axios';
import type { SendOutcome } from './port';

/**
 * The one way adapters talk to a vendor: a request that never throws. HTTP errors come
 * back as replies for the adapter to read in the vendor's terms; a timeout, an abort or a
 * network failure comes back as a retryable outcome, because the text may still go.
 */

export interface VendorRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Already encoded (form or JSON); the adapter sets the matching Content-Type. */
  body?: string;
  signal: AbortSignal;
}

export interface VendorReply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type VendorCall = { ok: true; reply: VendorReply } | { ok: false; outcome: SendOutcome };

const client: AxiosInstance = axios.create({
  // Every status is a reply for the adapter to judge; redirects are never followed
  // (a vendor API that redirects a POST is misconfigured, not a place to resend a text).
  validateStatus: () => true,
  maxRedirects: 0,
  responseType: 'text',
  transformResponse: (data: unknown) => data,
  // Bounded replies: a vendor answer is a few hundred bytes.
  maxContentLength: 1024 * 1024,
});

export async function callVendor(request: VendorRequest): Promise<VendorCall> {
  try {
    const response = await client.request<string>({
      method: request.method,
      url: request.url,
      headers: request.headers,
      data: request.body,
      signal: request.signal,
    });
    const body = typeof response.data === 'string' ? response.data : '';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
    return { ok: true, reply: { status: response.status, headers, body, json: parseJson(body) } };
  } catch (err) {
    if (request.signal.aborted || axios.isCancel(err)) {
      return { ok: false, outcome: { outcome: 'retryable', code: 'timeout', detail: 'no answer within the attempt timeout' } };
    }
    const code = (err as { code?: string }).code ?? 'network';
    return { ok: false, outcome: { outcome: 'retryable', code: 'network', detail: `${code}: ${(err as Error).message}` } };
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * What an HTTP status means when the vendor's body says nothing more useful: 429 and
 * 5xx are worth retrying (429 also slows us down); 401/403 are our credentials, which a
 * retry on a fallback gateway can get past; other 4xx refuse this message for good.
 */
export function outcomeOfHttpStatus(reply: VendorReply, detail: string): SendOutcome {
  const code = `http-${reply.status}`;
  if (reply.status === 429) {
    const retryAfterMs = retryAfterMsOf(reply.headers['retry-after']);
    return { outcome: 'retryable', code, detail, throttled: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (reply.status >= 500 || reply.status === 408 || reply.status === 401 || reply.status === 403) {
    return { outcome: 'retryable', code, detail };
  }
  return { outcome: 'permanent', code, detail, reason: 'rejected' };
}

/** Retry-After is either seconds or an HTTP date. */
export function retryAfterMsOf(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A short, single-line excerpt of what a vendor sent (a callback field). Not for a send's
 * refusal: adapters pass the vendor's answer whole, and redacting-gateway.ts takes the
 * secrets and numbers out before it cuts (cut first, a secret across the cut would leak).
 */
export function excerpt(body: string, max = 200): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function formBody(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) params.append(name, value);
  return params.toString();
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
