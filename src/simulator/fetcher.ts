import axios from 'axios';
import { CookieJar } from 'tough-cookie';
import { VxmlEvent } from './events';
import { CallEnded } from './signals';
import type { TranscriptEntry } from './types';

export interface FetchRequest {
  url: string;
  method: 'GET' | 'POST';
  /** Form fields: the query of a GET, the body of a POST. */
  fields?: readonly [string, string][];
  enctype?: 'application/x-www-form-urlencoded' | 'multipart/form-data';
  timeoutMs: number;
}

export interface FetchResult {
  /** The URL the content came from, after redirects: the base for relative URIs. */
  url: string;
  text: string;
  contentType: string;
}

const MAX_REDIRECTS = 5;
const MAX_BYTES = 5 * 1024 * 1024;

/**
 * HTTP for one call, as a VoiceXML browser does it: cookies kept for the call's
 * lifetime, redirects followed (a POST answered with 302/303 becomes a GET, as browsers
 * do), and every failure turned into the event the spec names: error.badfetch, or
 * error.badfetch.http.<status> for an HTTP error status (VoiceXML 2.1 §5.2.6).
 */
export class CallFetcher {
  private readonly jar = new CookieJar();

  /**
   * ownHeaders go with every request to their origin, and to no other. With confineTo,
   * a URL of any other origin (a link, a redirect, a campaign's return URL) is not fetched:
   * the call ends there, showing it (the console's simulator runs on the server, where
   * such a fetch would reach whatever the server can reach).
   */
  constructor(
    private readonly record: (entry: TranscriptEntry) => void,
    private readonly ownHeaders?: { origin: string; headers: Readonly<Record<string, string>> },
    private readonly confineTo?: string,
    /** Replaces every request's timeout (SimulateOptions.fetchTimeoutOverrideMs). */
    private readonly timeoutOverrideMs?: number,
  ) {}

  async fetch(request: FetchRequest): Promise<FetchResult> {
    let { url, method } = request;
    const timeoutMs = this.timeoutOverrideMs ?? request.timeoutMs;
    let fields = request.fields ?? [];
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const started = performance.now();
      const { target, body, contentType } = encode(url, method, fields, request.enctype);
      this.stopOutside(method, target);
      const cookie = await this.jar.getCookieString(target);
      let response;
      try {
        response = await axios.request<string>({
          url: target,
          method,
          data: body,
          headers: {
            ...(contentType ? { 'content-type': contentType } : {}),
            ...(cookie ? { cookie } : {}),
            ...(this.ownHeaders && new URL(target).origin === this.ownHeaders.origin ? this.ownHeaders.headers : {}),
            accept: 'application/voicexml+xml, application/srgs+xml, text/xml, application/xml, */*;q=0.5',
            'user-agent': 'ivr-deflect-simulator/1 (VoiceXML 2.1)',
          },
          timeout: timeoutMs,
          maxRedirects: 0,
          responseType: 'text',
          transformResponse: (data: string) => data,
          validateStatus: () => true,
          maxContentLength: MAX_BYTES,
        });
      } catch (err) {
        const reason = axios.isAxiosError(err) && err.code === 'ECONNABORTED' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
        this.record({ kind: 'fetch', method, url: target, ms: elapsed(started), error: reason, ...(body && typeof body === 'string' ? { body } : {}) });
        throw new VxmlEvent('error.badfetch', `${method} ${target}: ${reason}`);
      }
      this.record({ kind: 'fetch', method, url: target, status: response.status, ms: elapsed(started), ...(body && typeof body === 'string' ? { body } : {}) });
      for (const cookie of setCookies(response.headers['set-cookie'])) {
        await this.jar.setCookie(cookie, target, { ignoreError: true });
      }
      const location = response.headers.location as string | undefined;
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, target).toString();
        // 307/308 keep the method and body; the others become a GET, as web browsers do.
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          fields = [];
        }
        continue;
      }
      if (response.status >= 400 || response.status < 200 || response.status >= 300) {
        throw new VxmlEvent(`error.badfetch.http.${response.status}`, `${method} ${target}: HTTP ${response.status}`);
      }
      return { url: target, text: String(response.data ?? ''), contentType: String(response.headers['content-type'] ?? '') };
    }
    throw new VxmlEvent('error.badfetch', `${request.url}: more than ${MAX_REDIRECTS} redirects`);
  }

  /** Ends the call, unfetched, at a URL outside confineTo (a URL that does not parse is outside too). */
  private stopOutside(method: 'GET' | 'POST', target: string): void {
    if (this.confineTo === undefined) return;
    if (URL.canParse(target) && new URL(target).origin === this.confineTo) return;
    this.record({ kind: 'fetch', method, url: target, ms: 0, error: 'not fetched: outside this server' });
    throw new CallEnded('left-origin', { message: `the call goes on to ${target}, outside this server: the simulator stops here` });
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function setCookies(header: unknown): string[] {
  if (Array.isArray(header)) return header.map(String);
  return typeof header === 'string' ? [header] : [];
}

function encode(
  url: string,
  method: 'GET' | 'POST',
  fields: readonly [string, string][],
  enctype: FetchRequest['enctype'],
): { target: string; body?: string | Buffer; contentType?: string } {
  if (method === 'GET') {
    if (fields.length === 0) return { target: url };
    const target = new URL(url);
    for (const [name, value] of fields) target.searchParams.append(name, value);
    return { target: target.toString() };
  }
  if (enctype === 'multipart/form-data') {
    const boundary = `----vxml-simulator-${Math.random().toString(16).slice(2)}`;
    const parts = fields.map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, '%22')}"\r\n\r\n${value}\r\n`,
    );
    return { target: url, body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
  }
  return { target: url, body: new URLSearchParams(fields as [string, string][]).toString(), contentType: 'application/x-www-form-urlencoded' };
}
