import { hkdfSync } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { signTimestamped, timestampedSignatureProblem } from '../../signing/timestamped-hmac';
import { cookieName, isSecure, readCookie, setCookie } from '../session';

/**
 * What a sign-in at the provider must come back with: the state and nonce we sent, the PKCE
 * verifier, and the console page to land on. Kept in the browser that started the sign-in,
 * in an HttpOnly, SameSite=Lax cookie signed with our one HMAC scheme (timestamped-hmac.ts):
 * nothing server-side to share between instances, and a cookie older than MAX_AGE_SECONDS
 * or altered in any way is refused. The callback clears it: one attempt per cookie.
 */

const COOKIE = 'ivr_console_oidc';
/** Long enough to type a password and pass a second factor at the provider. */
export const MAX_AGE_SECONDS = 10 * 60;

const Pending = z.object({
  state: z.string().min(1).max(200),
  nonce: z.string().min(1).max(200),
  codeVerifier: z.string().min(43).max(128),
  next: z.string().max(2000),
});
export type PendingSignIn = z.infer<typeof Pending>;

/** Its own key, derived from the client secret: the secret itself never signs anything we hand out. */
export function stateKey(clientSecret: string): string {
  return Buffer.from(hkdfSync('sha256', clientSecret, '', 'ivr-deflect console oidc state cookie', 32)).toString('base64url');
}

export function savePending(res: Response, req: Request, publicBaseUrl: string, key: string, pending: PendingSignIn, now: Date): void {
  const body = Buffer.from(JSON.stringify(pending)).toString('base64url');
  const { timestamp, signature } = signTimestamped(key, body, now);
  const secure = isSecure(req, publicBaseUrl);
  setCookie(res, cookieName(COOKIE, secure), `${body}.${timestamp}.${signature}`, MAX_AGE_SECONDS * 1000, secure);
}

/** The pending sign-in, or why there is none to finish ('missing', 'expired or altered'). */
export function readPending(req: Request, publicBaseUrl: string, key: string, now: Date): PendingSignIn | { problem: string } {
  const value = readCookie(req, cookieName(COOKIE, isSecure(req, publicBaseUrl)));
  if (!value) return { problem: 'no sign-in in progress in this browser' };
  const [body = '', timestamp, signature] = value.split('.');
  const headers = { 'x-signature-timestamp': timestamp, 'x-signature': signature };
  // Only older than allowed is refused by age; the scheme's tolerance also takes clock skew.
  const bad = timestampedSignatureProblem([key], headers, body, now, MAX_AGE_SECONDS);
  if (bad) return { problem: `sign-in cookie refused: ${bad}` };
  try {
    return Pending.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    return { problem: 'sign-in cookie refused: not a pending sign-in' };
  }
}

export function clearPending(res: Response, req: Request, publicBaseUrl: string): void {
  const secure = isSecure(req, publicBaseUrl);
  setCookie(res, cookieName(COOKIE, secure), '', 0, secure);
}
