import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Security headers for the HTML pages people open in a browser: the console and the
 * short-link pages. VoiceXML, the admin API's JSON and vendor callbacks do not get them:
 * no browser renders those, and VoiceXML platforms have no use for a CSP.
 *
 * The Content-Security-Policy has no 'unsafe-inline' and no other host: the console's
 * scripts and styles are files of ours (see console/assets.ts), so an injected <script>
 * or on*= attribute would not run even if escaping ever failed. Pages may not be framed
 * (clickjacking the console's switches) and forms post only to us.
 */

export interface HtmlHeaderOptions {
  /** PUBLIC_BASE_URL is https: browsers are told to keep using https (HSTS). */
  https: boolean;
}

const ONE_YEAR_S = 365 * 24 * 3600;

function htmlHeaders(options: HtmlHeaderOptions, directives: Record<string, string[]>, referrer: 'same-origin' | 'no-referrer'): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'base-uri': ["'none'"],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        ...directives,
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: referrer },
    // Only over https: on plain http browsers ignore it, and a test or intranet install on
    // http must not be told otherwise. Subdomains are the operator's, not ours to pin.
    strictTransportSecurity: options.https ? { maxAge: ONE_YEAR_S, includeSubDomains: false } : false,
  }) as RequestHandler;
}

/** The console: everything from this origin, nothing inline. */
export function consolePageHeaders(options: HtmlHeaderOptions): RequestHandler {
  return htmlHeaders(options, { 'default-src': ["'self'"], 'form-action': ["'self'"] }, 'same-origin');
}

/**
 * The pages behind short links (link expired, not found, too many requests): nothing to
 * load but their one inline stylesheet, allowed by its hash. No Referer, so the chat or
 * company page a visitor goes on to never learns the short code.
 */
export function linkPageHeaders(options: HtmlHeaderOptions & { styleHash: string }): RequestHandler {
  return htmlHeaders(options, { 'default-src': ["'none'"], 'style-src': [`'${options.styleHash}'`], 'form-action': ["'none'"] }, 'no-referrer');
}
