import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest } from './port';

/** Small pieces every adapter needs to read and verify its vendor's callbacks. */

export function stringParam(req: WebhookRequest, name: string): string | undefined {
  const value = req.params[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Constant-time comparison of a secret or signature. Both sides are hashed first, so
 * neither the time taken nor an early length check tells an attacker anything.
 */
export function safeEqual(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

export function forbidden(error: string): { ok: false; status: 403; error: string } {
  return { ok: false, status: 403, error };
}

export function invalid(error: string): { ok: false; status: 400; error: string } {
  return { ok: false, status: 400, error };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Vendors give numbers as country code and digits; we keep E.164 with its "+". */
export function e164Of(number: string): string {
  return /^\d+$/.test(number) ? `+${number}` : number;
}

/** An ISO 8601 time as toISOString writes it, or undefined when the vendor's value is not a time. */
export function isoTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** The "user:password" of an HTTP Basic Authorization header, or undefined when there is none. */
export function basicCredentialsOf(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString('utf8') : undefined;
}
