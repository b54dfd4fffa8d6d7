import { randomBytes, randomFillSync, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniformly random base62 text from the CSPRNG (randomInt avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/**
 * Random bytes drawn from the CSPRNG 4 KB at a time and handed out once each, in order:
 * one native call and one buffer per 256 call ids instead of per id (a call start's
 * randomBytes was 2% of its CPU). Every byte still comes from the CSPRNG and none is
 * handed out twice.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function pooledBase64url(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const text = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return text;
}

/** 128 random bits: call ids are bearer capabilities and must not be guessable. */
export function newCallId(): string {
  return pooledBase64url(16);
}

export function newMessageId(): string {
  return `msg_${randomBytes(12).toString('base64url')}`;
}
