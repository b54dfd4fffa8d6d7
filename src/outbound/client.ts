import axios, { type AxiosInstance } from 'axios';
import { OutboundPolicy, REFUSED_CODE } from './policy';

/**
 * HTTP to URLs that come from campaigns, under the outbound policy. Never throws: a
 * reply is any status, a failure says which kind it was in words of our own, never the
 * remote host's (those end up in events, logs and API answers).
 */

export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Already encoded; the caller sets the matching Content-Type. */
  body?: string;
  signal: AbortSignal;
}

export interface OutboundReply {
  status: number;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type OutboundResult =
  | { ok: true; reply: OutboundReply }
  /** refused: the policy would not connect; aborted: the signal fired; network: anything else on the way. */
  | { ok: false; failure: 'refused' | 'aborted' | 'network'; detail: string };

/** An availability answer is a few hundred bytes: a larger one is not an answer. */
const MAX_REPLY_BYTES = 256 * 1024;

export class OutboundClient {
  private readonly client: AxiosInstance;

  constructor(readonly policy: OutboundPolicy) {
    this.client = axios.create({
      httpAgent: policy.httpAgent,
      httpsAgent: policy.httpsAgent,
      // An HTTP(S)_PROXY from the environment would be the address connected to, and the
      // policy would judge the proxy instead of the target.
      proxy: false,
      // A redirect could lead anywhere; the status is the answer.
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: (data: unknown) => data,
      maxContentLength: MAX_REPLY_BYTES,
      maxBodyLength: MAX_REPLY_BYTES,
    });
  }

  async request(request: OutboundRequest): Promise<OutboundResult> {
    const problem = this.policy.problemWith(request.url);
    if (problem) return { ok: false, failure: 'refused', detail: `refused: ${problem}` };
    try {
      const response = await this.client.request<string>({
        method: request.method,
        url: request.url,
        headers: request.headers,
        data: request.body,
        signal: request.signal,
      });
      const body = typeof response.data === 'string' ? response.data : '';
      return { ok: true, reply: { status: response.status, body, json: parseJson(body) } };
    } catch (err) {
      if (request.signal.aborted) return { ok: false, failure: 'aborted', detail: 'aborted' };
      const refused = refusalIn(err);
      if (refused) return { ok: false, failure: 'refused', detail: `refused: ${refused}` };
      // The code (ECONNREFUSED, ENOTFOUND...) is a category; the message may name hosts and addresses.
      const code = (err as { code?: unknown }).code;
      return { ok: false, failure: 'network', detail: `network failure${typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? ` (${code})` : ''}` };
    }
  }
}

/** The policy's own sentence, when the connection was refused by it (axios wraps the socket's error). */
function refusalIn(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (e.code === REFUSED_CODE && typeof e.message === 'string') return e.message;
  }
  return undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
