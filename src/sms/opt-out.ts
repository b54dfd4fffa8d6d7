/**
 * Reads the carrier keywords in a text a caller sent back. The lists are Twilio's
 * defaults (its Advanced Opt-Out starts from them), which follow the US carriers' and
 * the FCC's: matching what the vendor does keeps our opt-out records and the vendor's
 * block list in step.
 */
export type InboundKeyword = 'stop' | 'start' | 'help' | 'other';

const KEYWORDS: ReadonlyMap<string, Exclude<InboundKeyword, 'other'>> = new Map([
  ...keywords('stop', ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']),
  // Added by Twilio in 2025 after the FCC named "revoke" and "opt out" as reasonable
  // ways to withdraw consent; a missed opt-out costs far more than an extra one.
  ...keywords('stop', ['REVOKE', 'OPTOUT']),
  // Twilio also opts a number back in on YES. If Twilio carries the text it has already
  // lifted its block, so counting YES keeps our record agreeing with the vendor's.
  ...keywords('start', ['START', 'UNSTOP', 'YES']),
  ...keywords('help', ['HELP', 'INFO']),
]);

function keywords<K extends Exclude<InboundKeyword, 'other'>>(kind: K, words: string[]): [string, K][] {
  return words.map((word) => [word, kind]);
}

/**
 * Carriers and Twilio act only on a message that is the keyword alone, in any case:
 * "STOP PLEASE" and "please don't stop" are ordinary texts. Surrounding whitespace and
 * trailing punctuation ("Stop.", "STOP!!") are dropped first: phones add them, and the
 * sender plainly meant the keyword.
 */
export function classifyInboundText(text: string): InboundKeyword {
  const word = text.trim().replace(/[\p{P}\s]+$/u, '').toUpperCase();
  return KEYWORDS.get(word) ?? 'other';
}
