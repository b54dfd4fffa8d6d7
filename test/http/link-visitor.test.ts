import { classifyVisit } from '../../src/http/link-visitor';

/**
 * The classes of real requests: user agents as the apps send them (samples from
 * https://github.com/monperrus/crawler-user-agents and the vendors' pages cited in
 * link-visitor.ts), with the Accept each sends.
 */

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
/** accept null: no Accept header at all. */
const get = (userAgent: string | undefined, accept: string | null = BROWSER_ACCEPT, purpose?: string) =>
  classifyVisit({ method: 'GET', userAgent, accept: accept ?? undefined, purpose });

describe('classifyVisit', () => {
  it.each([
    ['WhatsApp/2.23.20.0 A', 'preview:whatsapp'],
    ['WhatsApp/2.2349.2 i', 'preview:whatsapp'],
    ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'preview:meta'],
    ['meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)', 'preview:meta'],
    // iMessage's preview names Facebook's and Twitter's bots: Apple's class, not theirs.
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0', 'preview:apple'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)', 'preview:apple'],
    ['TelegramBot (like TwitterBot)', 'preview:telegram'],
    ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'preview:slack'],
    ['Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)', 'preview:discord'],
    ['Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com', 'preview:skype-teams'],
    ['Twitterbot/1.0', 'preview:twitter'],
    ['LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', 'preview:linkedin'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'crawler:google'],
    ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36', 'crawler:bing'],
    ['Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)', 'scanner:safelinks'],
    ['Mozilla/5.0 (compatible; Proofpoint URL Defense)', 'scanner:proofpoint'],
    ['Mimecast URL Protect', 'scanner:mimecast'],
    ['Barracuda Sentinel (EE)', 'scanner:barracuda'],
  ])('%s is a preview (%s), even asking for a page', (ua, agent) => {
    expect(get(ua)).toEqual({ kind: 'preview', agent });
  });

  it('a HEAD is a preview whoever sends it', () => {
    expect(classifyVisit({ method: 'HEAD', userAgent: 'Mozilla/5.0 (iPhone)', accept: BROWSER_ACCEPT, purpose: undefined })).toEqual({ kind: 'preview', agent: 'head' });
  });

  it('a browser prefetching ahead of a tap is a preview', () => {
    expect(get('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36', BROWSER_ACCEPT, 'prefetch;prerender')).toEqual({ kind: 'preview', agent: 'prefetch' });
  });

  it('no text/html in Accept (curl, HTTP libraries, unnamed scanners) is a preview', () => {
    expect(get('curl/8.5.0', '*/*')).toEqual({ kind: 'preview', agent: 'no-html' });
    expect(get('python-requests/2.31.0', null)).toEqual({ kind: 'preview', agent: 'no-html' });
    expect(get(undefined, null)).toEqual({ kind: 'preview', agent: 'no-html' });
    // A browser user agent alone is not enough: the delivery-time sandboxes send one.
    expect(get('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36', '*/*')).toEqual({ kind: 'preview', agent: 'no-html' });
  });

  it('a phone browser asking for a page is a click; an unfamiliar client asking for one counts, as unknown', () => {
    expect(get('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1')).toEqual({ kind: 'click', agent: 'browser' });
    expect(get('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36')).toEqual({ kind: 'click', agent: 'browser' });
    expect(get('SomeCarrierBrowser/3.1')).toEqual({ kind: 'click', agent: 'unknown' });
    expect(get(undefined)).toEqual({ kind: 'click', agent: 'unknown' });
  });

  it('looks at the first 512 characters of a user agent only', () => {
    expect(get(`Mozilla/5.0 ${'x'.repeat(600)} WhatsApp/2.23.20.0 A`)).toEqual({ kind: 'click', agent: 'browser' });
    expect(get(`WhatsApp/2.23.20.0 A ${'x'.repeat(100_000)}`)).toEqual({ kind: 'preview', agent: 'preview:whatsapp' });
  });
});
