/**
 * Requests for a short link as their senders make them, for tests that count clicks.
 * A person taps the link on a phone: the browser asks for a page (text/html first).
 */
export const PHONE_BROWSER = {
  'User-Agent':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

/** WhatsApp drawing the link's preview card (crawler-user-agents lists "WhatsApp/2.x A|i|N"). */
export const WHATSAPP_PREVIEW = { 'User-Agent': 'WhatsApp/2.23.20.0 A', Accept: '*/*' };

/**
 * Safe Links' time-of-click check: Office's user agent, and a browser-like Accept, so
 * only the user-agent pattern can tell it is not the person.
 */
export const SAFELINKS_SCANNER = {
  'User-Agent': 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)',
  Accept: 'text/html,application/xhtml+xml,*/*',
};

/** curl as it comes: its own user agent, and an Accept of any type (no text/html). */
export const CURL = { 'User-Agent': 'curl/8.5.0', Accept: '*/*' };
