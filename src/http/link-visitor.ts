/**
 * Who opened a short link: a person (the click the funnel is about) or a machine that
 * fetched it to draw a preview or scan it (a messaging app unfurling the link, a carrier's
 * or mail gateway's URL scanner, a search engine). Machines still get the redirect (a
 * preview must still work) but count nothing.
 *
 * The class is what we keep (on the event detail), never the raw user agent: it is
 * one of a fixed set of short strings, so nothing the client sends is stored.
 */

import type { LinkVisit } from '../store/port';

interface AgentPattern {
  agent: string;
  pattern: RegExp;
}

/**
 * The maintained list: user-agent tokens, matched case-insensitively anywhere in the
 * header. Sources, besides each vendor's page: the community list
 * https://github.com/monperrus/crawler-user-agents (crawler-user-agents.json, which
 * carries a sample of each agent). Order matters: the first match names the class, so
 * the more specific tokens come first (Apple's and Telegram's previews name Twitter's
 * and Facebook's bots too).
 */
const PATTERNS: readonly AgentPattern[] = [
  // Telegram's preview fetcher: "TelegramBot (like TwitterBot)" (crawler-user-agents).
  { agent: 'preview:telegram', pattern: /TelegramBot/i },
  // iMessage's link preview sends "... facebookexternalhit/1.1 Facebot Twitterbot/1.0"
  // (crawler-user-agents, the "Facebot Twitterbot" entry); Applebot is Apple's crawler
  // (https://support.apple.com/en-us/119829).
  { agent: 'preview:apple', pattern: /Facebot Twitterbot|Applebot/i },
  // WhatsApp's preview: "WhatsApp/2.23.20.0 A" (crawler-user-agents). A person tapping the
  // link opens the phone's browser, whose user agent does not name WhatsApp.
  { agent: 'preview:whatsapp', pattern: /WhatsApp\//i },
  // Meta's crawlers: facebookexternalhit, facebookcatalog, meta-externalagent,
  // meta-externalfetcher (https://developers.facebook.com/docs/sharing/webmasters/web-crawlers).
  { agent: 'preview:meta', pattern: /facebookexternalhit|facebookcatalog|meta-external(agent|fetcher)|Facebot/i },
  // "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)" (https://api.slack.com/robots).
  { agent: 'preview:slack', pattern: /Slackbot/i },
  // "Discordbot/2.0; +https://discordapp.com" (crawler-user-agents).
  { agent: 'preview:discord', pattern: /Discordbot/i },
  // Skype's and Teams' link preview: "SkypeUriPreview Preview/0.5" (crawler-user-agents).
  { agent: 'preview:skype-teams', pattern: /SkypeUriPreview|MicrosoftPreview/i },
  // "Twitterbot/1.0" (https://developer.x.com/en/docs/x-for-websites/cards/guides/getting-started).
  { agent: 'preview:twitter', pattern: /Twitterbot/i },
  // "LinkedInBot/1.0 (compatible; Mozilla/5.0; ...)" (crawler-user-agents).
  { agent: 'preview:linkedin', pattern: /LinkedInBot/i },
  // Google's crawlers and fetchers: Googlebot, Google-InspectionTool, GoogleOther,
  // Google-Read-Aloud, Storebot-Google, AdsBot-Google
  // (https://developers.google.com/search/docs/crawling-indexing/overview-google-crawlers).
  { agent: 'crawler:google', pattern: /Googlebot|Google-InspectionTool|GoogleOther|Google-Read-Aloud|Storebot-Google|AdsBot-Google|Mediapartners-Google/i },
  // bingbot, adidxbot, BingPreview (https://www.bing.com/webmasters/help/which-crawlers-does-bing-use-8c184ec0).
  { agent: 'crawler:bing', pattern: /bingbot|BingPreview|adidxbot/i },
  // URL scanners of mail and message security gateways. Most fetch with a plain browser
  // user agent and are caught by behaviour instead (HEAD, no text/html in Accept). Except
  // for Safe Links, their vendors publish no user agent: the tokens below are their
  // product names, matched in case a scanner names itself; not confirmed against a
  // captured request (to revisit with real traffic, as the list is maintained).
  // Microsoft Defender for Office 365 Safe Links (https://learn.microsoft.com/en-us/defender-office-365/safe-links-about):
  // its time-of-click check and Office's own link check fetch as "Microsoft Office/16.0
  // (...)", "ms-office" or "msoffice"; the delivery-time sandbox uses a plain Chrome user
  // agent from Microsoft's addresses, which no user-agent pattern can tell apart
  // (https://check.live-direct-marketing.online/blog/microsoft-defender-link-click-pattern).
  { agent: 'scanner:safelinks', pattern: /SafeLinks|Microsoft Office|ms-office|msoffice/i },
  // Proofpoint URL Defense / Targeted Attack Protection.
  { agent: 'scanner:proofpoint', pattern: /Proofpoint/i },
  // Mimecast URL Protect.
  { agent: 'scanner:mimecast', pattern: /Mimecast/i },
  // Barracuda Email Protection's link protection.
  { agent: 'scanner:barracuda', pattern: /Barracuda/i },
  // Symantec (Broadcom) Email Security.cloud click-time protection.
  { agent: 'scanner:symantec', pattern: /Symantec|Broadcom/i },
  // Cisco Secure Email (IronPort) URL filtering.
  { agent: 'scanner:cisco', pattern: /Cisco|IronPort/i },
];

/** Only this much of the user agent is looked at: a header can be kilobytes long. */
const MAX_AGENT_CHARS = 512;

export interface VisitRequest {
  method: string;
  userAgent: string | undefined;
  accept: string | undefined;
  /** Sec-Purpose (or the older Purpose) header: "prefetch" when a browser fetches ahead. */
  purpose: string | undefined;
}

export function classifyVisit(req: VisitRequest): LinkVisit {
  // A HEAD only asks what is there: link checkers and scanners, never a person.
  if (req.method === 'HEAD') return { kind: 'preview', agent: 'head' };
  const ua = (req.userAgent ?? '').slice(0, MAX_AGENT_CHARS);
  const named = PATTERNS.find((p) => p.pattern.test(ua));
  if (named) return { kind: 'preview', agent: named.agent };
  // A browser fetching ahead of a tap it guesses may come (speculation rules, link
  // prefetch) says so (https://developer.mozilla.org/docs/Web/HTTP/Headers/Sec-Purpose).
  if (/prefetch|prerender/i.test(req.purpose ?? '')) return { kind: 'preview', agent: 'prefetch' };
  // Every browser asks for text/html when it navigates to a page (Fetch standard,
  // "document" destination: text/html,application/xhtml+xml,...); scanners and HTTP
  // libraries send */* or nothing.
  if (!/text\/html/i.test(req.accept ?? '')) return { kind: 'preview', agent: 'no-html' };
  // An unfamiliar client that asks for a page counts: the class lets a report filter it later.
  return { kind: 'click', agent: /^Mozilla\/5\.0 /.test(ua) ? 'browser' : 'unknown' };
}
