import type { PermanentReason, SendOutcome } from './port';

/**
 * The error numbers of Clickatell's legacy APIs (the HTTP `sendmsg` API and the old
 * Platform REST API share them: archive.clickatell.com/developers/api-docs/list-of-error-codes-rest/).
 * Only clickatell-http.ts speaks those APIs now; the One API (clickatell.ts) has its own
 * error table with different numbers.
 */

export interface ClickatellLegacyError {
  /** Clickatell's error number ("105" arrives as 105), when the answer gives one. */
  code?: number;
  description: string;
}

type Verdict = { retry: true } | { reason: PermanentReason };

/**
 * Each error number with the words of its description, since some answers carry only the
 * description. Errors about our account (credentials, IP lockdown, credit, volume caps)
 * are retryable: the text itself is fine, and a fallback gateway, or the account once
 * fixed, can send it. Any error not listed refuses the text as sent.
 */
const LEGACY_ERRORS: readonly { code: number; words: RegExp; verdict: Verdict }[] = [
  { code: 1, words: /authentication failed/i, verdict: { retry: true } },
  { code: 2, words: /unknown user ?name or password/i, verdict: { retry: true } },
  { code: 4, words: /account frozen/i, verdict: { retry: true } },
  { code: 7, words: /ip lockdown/i, verdict: { retry: true } },
  { code: 105, words: /invalid destination/i, verdict: { reason: 'invalid-number' } },
  { code: 108, words: /invalid or missing api id/i, verdict: { retry: true } },
  { code: 113, words: /message parts exceeded/i, verdict: { reason: 'rejected' } },
  { code: 114, words: /cannot route/i, verdict: { reason: 'blocked' } },
  { code: 121, words: /number blocked/i, verdict: { reason: 'blocked' } },
  { code: 122, words: /opted out/i, verdict: { reason: 'unsubscribed' } },
  { code: 128, words: /number delisted/i, verdict: { reason: 'invalid-number' } },
  { code: 130, words: /mt limit exceeded/i, verdict: { retry: true } },
  { code: 301, words: /no credit/i, verdict: { retry: true } },
  { code: 901, words: /internal error/i, verdict: { retry: true } },
];

/** What a legacy Clickatell error (an `ERR: <code>, <description>` line) means for this text. */
export function outcomeOfClickatellLegacyError(error: ClickatellLegacyError): SendOutcome {
  const known =
    error.code !== undefined
      ? LEGACY_ERRORS.find((e) => e.code === error.code)
      : LEGACY_ERRORS.find((e) => e.words.test(error.description));
  const number = error.code ?? known?.code;
  const code = number !== undefined ? `clickatell-${threeDigits(number)}` : 'clickatell-error';
  const detail = number !== undefined ? `${threeDigits(number)}: ${error.description}` : error.description;
  const verdict = known?.verdict ?? { reason: 'rejected' };
  return 'reason' in verdict ? { outcome: 'permanent', code, detail, reason: verdict.reason } : { outcome: 'retryable', code, detail };
}

function threeDigits(code: number): string {
  return String(code).padStart(3, '0');
}
