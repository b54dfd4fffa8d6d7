import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniformly random base62 text from the CSPRNG (randomInt avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/** 128 random bits: call ids are bearer capabilities and must not be guessable. */
export function newCallId(): string {
  return randomBytes(16).toString('base64url');
}

export function newMessageId(): string {
  return `msg_${randomBytes(12).toString('base64url')}`;
}
