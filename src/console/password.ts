import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';

/**
 * Console passwords, stored only as scrypt hashes in one line an operator can paste into
 * .env: `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`. The parameters travel with the
 * hash, so raising them later does not invalidate the hashes already in use.
 */

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export class PasswordHashError extends Error {}

// About 100 ms and 32 MiB per check on a laptop: slow for guessing, fine for signing in.
const DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Hashes from elsewhere may be stronger, but not so costly that one sign-in starves the server.
const MAX_MEMORY = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const FORMAT_HINT = 'must be scrypt$N$r$p$salt$key as printed by npm run hash-password';

/** The memory scrypt needs for these parameters (OpenSSL's formula), so maxmem never refuses a valid hash. */
function memoryFor(params: Pick<PasswordHash, 'N' | 'r' | 'p'>): number {
  return 128 * params.r * (params.N + params.p + 2);
}

/** scrypt's options for these parameters: maxmem from them, so no valid hash is refused. */
export function scryptOptions(params: Pick<PasswordHash, 'N' | 'r' | 'p'>): ScryptOptions {
  return { N: params.N, r: params.r, p: params.p, maxmem: memoryFor(params) + 1024 * 1024 };
}

// The async form runs on the libuv pool: fine for hashing one password from the command
// line; the server checks sign-ins on its own threads instead (password-checks.ts).
function derive(password: string, salt: Buffer, keyLength: number, params: Pick<PasswordHash, 'N' | 'r' | 'p'>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, scryptOptions(params), (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function formatPasswordHash(hash: PasswordHash): string {
  return ['scrypt', hash.N, hash.r, hash.p, hash.salt.toString('base64'), hash.key.toString('base64')].join('$');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, DEFAULTS);
  return formatPasswordHash({ ...DEFAULTS, salt, key });
}

/** Reads a stored hash line; throws PasswordHashError saying what is wrong with it. */
export function parsePasswordHash(text: string): PasswordHash {
  const match = FORMAT.exec(text.trim());
  if (!match) throw new PasswordHashError(FORMAT_HINT);
  const [N, r, p] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  const salt = Buffer.from(match[4] as string, 'base64');
  const key = Buffer.from(match[5] as string, 'base64');
  if (N < 2 ** 14 || (N & (N - 1)) !== 0) throw new PasswordHashError('N must be a power of 2, at least 16384');
  if (r < 1 || p < 1 || p > 16) throw new PasswordHashError('r must be at least 1 and p from 1 to 16');
  if (memoryFor({ N, r, p }) > MAX_MEMORY) throw new PasswordHashError('N and r need more than 256 MiB per check');
  if (salt.length < SALT_BYTES) throw new PasswordHashError(`the salt must be at least ${SALT_BYTES} bytes`);
  if (key.length < 16 || key.length > 64) throw new PasswordHashError('the key must be 16 to 64 bytes');
  return { N, r, p, salt, key };
}

/**
 * A hash nothing matches, costing what `like` costs to check: verifying against it when
 * the user name is wrong makes a refusal take as long as a wrong password.
 */
export function unmatchableHash(like: PasswordHash): PasswordHash {
  return { ...like, salt: randomBytes(like.salt.length), key: randomBytes(like.key.length) };
}
