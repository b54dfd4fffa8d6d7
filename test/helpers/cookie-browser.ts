import { CookieJar } from 'tough-cookie';

/**
 * A browser without a page engine for flows across two sites (the console and an OpenID
 * provider): it keeps cookies per site in a real cookie jar and follows redirects one by
 * one, so a test can stop at any hop (to tamper with it) or read where it went.
 */
export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
  text: string;
}

export class CookieBrowser {
  readonly jar = new CookieJar();

  /** One request, no redirect followed. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Hop> {
    const cookie = await this.jar.getCookieString(url);
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) await this.jar.setCookie(line, url, { ignoreError: true });
    const location = res.headers.get('location') ?? undefined;
    return { url, status: res.status, location: location ? new URL(location, url).toString() : undefined, text: await res.text() };
  }

  /** Follows redirects (GET after each, as browsers do after 302/303) until a page or `stopAt` matches. */
  async follow(first: Hop, stopAt?: (url: string) => boolean): Promise<Hop> {
    let hop = first;
    for (let i = 0; i < 20 && hop.location && hop.status >= 300 && hop.status < 400; i += 1) {
      if (stopAt?.(hop.location)) return hop;
      hop = await this.request(hop.location);
    }
    return hop;
  }

  async get(url: string, stopAt?: (url: string) => boolean): Promise<Hop> {
    return this.follow(await this.request(url), stopAt);
  }

  async submit(page: Hop, form: Record<string, string>, stopAt?: (url: string) => boolean): Promise<Hop> {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.text)?.[1];
    if (!action) throw new Error(`no form on ${page.url}:\n${page.text.slice(0, 500)}`);
    return this.follow(await this.request(new URL(action.replace(/&amp;/g, '&'), page.url).toString(), { form }), stopAt);
  }
}
