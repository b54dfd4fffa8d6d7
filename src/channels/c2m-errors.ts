/**
 * LivePerson C2M's documented errors, {errorCode, errorMessage} with the HTTP status
 * ("Common Error Responses", https://developers.liveperson.com/connect-to-messaging-api.html),
 * and what each means for us:
 *
 * | HTTP | errorCode | LivePerson's words                               | meaning         |
 * | 400  | 1000      | Invalid request                                  | rejected        |
 * | 400  | 1001      | Invalid customerPhoneNumber                      | invalid-number  |
 * | 400  | 1002      | Invalid version                                  | rejected        |
 * | 400  | 1200/1201 | No internal user / app is available              | misconfigured   |
 * | 400  | 1300      | No engagement found for skill <<skill>>          | no-engagement   |
 * | 400  | 1400      | Message cannot be sent                           | not-on-channel  |
 * | 400  | 1500/1501 | No handoff / handoff channel is available        | misconfigured   |
 * | 400  | 1600      | No setting is available                          | misconfigured   |
 * | 400  | 1900      | Overridden channel is not available              | not-on-channel  |
 * | 400  | 1901      | No engagement provided for the overridden skill  | misconfigured   |
 * | 401  | 1100      | Invalid Bearer token                             | auth            |
 * | 403  | 1101      | Not enough privilege to perform this operation   | auth            |
 * | 404/405/415 | 1004/1005/1015 | Not Found / Method Not Allowed / Unsupported Media Type | rejected |
 * | 429  | 1029      | Rate limit hit (about 30 requests a second)      | rate-limited    |
 * | 500  | 5000-7000 | Internal Server Error                            | unavailable     |
 *
 * misconfigured is the campaign's or the account's set-up (the handoff id, the skill's
 * engagement, the C2M onboarding): no caller can fix it, an operator must, so it is
 * logged at error level. A code we do not know falls back to its HTTP status.
 */
export type C2mMeaning =
  | 'invalid-number'
  | 'no-engagement'
  | 'misconfigured'
  | 'not-on-channel'
  | 'rate-limited'
  | 'auth'
  | 'rejected'
  /** Timeout, network, 5xx, an answer that is not LivePerson's: worth asking again later. */
  | 'unavailable';

export interface C2mError {
  /** "c2m-1300", or our own ("c2m-http-502", "c2m-timeout"): stored with the message or event. */
  code: string;
  meaning: C2mMeaning;
}

const BY_CODE: Record<number, C2mMeaning> = {
  1000: 'rejected',
  1001: 'invalid-number',
  1002: 'rejected',
  1004: 'rejected',
  1005: 'rejected',
  1015: 'rejected',
  1029: 'rate-limited',
  1100: 'auth',
  1101: 'auth',
  1200: 'misconfigured',
  1201: 'misconfigured',
  1300: 'no-engagement',
  1400: 'not-on-channel',
  1500: 'misconfigured',
  1501: 'misconfigured',
  1600: 'misconfigured',
  1900: 'not-on-channel',
  1901: 'misconfigured',
};

export function c2mErrorOf(status: number, json: unknown): C2mError {
  const errorCode = typeof json === 'object' && json !== null && 'errorCode' in json ? (json as { errorCode: unknown }).errorCode : undefined;
  if (typeof errorCode === 'number' && Number.isInteger(errorCode)) {
    const known = BY_CODE[errorCode];
    if (known) return { code: `c2m-${errorCode}`, meaning: known };
    if (errorCode >= 5000 && errorCode <= 7000) return { code: `c2m-${errorCode}`, meaning: 'unavailable' };
  }
  return { code: `c2m-http-${status}`, meaning: meaningOfStatus(status) };
}

function meaningOfStatus(status: number): C2mMeaning {
  if (status === 429) return 'rate-limited';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500 || status === 408) return 'unavailable';
  return 'rejected';
}
