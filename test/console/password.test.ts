import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import {
  formatPasswordHash,
  hashPassword,
  parsePasswordHash,
  PasswordHashError,
  unmatchableHash,
  type PasswordHash,
} from '../../src/console/password';
import { PasswordChecks, PasswordChecksBusy } from '../../src/console/password-checks';
import { PASSWORD } from './helpers';

// hashPassword itself, at the default cost (the other tests sign in against a cheaper
// hash, test/console/helpers.ts): hashed once for this file.
let hashed: Promise<string> | undefined;
const passwordHash = (): Promise<string> => (hashed ??= hashPassword(PASSWORD));

/**
 * Console passwords are kept as one scrypt line in .env: the format must round-trip, a
 * damaged line must stop the start naming ADMIN_PASSWORD_HASH, and only the password verifies.
 */

// The server's checks run on their own threads (password-checks.ts): verify through them.
const checks = new PasswordChecks(2);
afterAll(() => checks.close());
const verifyPassword = (password: string, hash: PasswordHash): Promise<boolean> => checks.matches(password, hash);

describe('hashPassword and checking a password on the check threads', () => {
  it('writes scrypt$N$r$p$salt$key with N=2^15, r=8, p=1, a 16-byte salt and a 32-byte key', async () => {
    const line = await passwordHash();
    expect(line).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    const hash = parsePasswordHash(line);
    expect(hash.salt).toHaveLength(16);
    expect(hash.key).toHaveLength(32);
    expect(formatPasswordHash(hash)).toBe(line);
  });

  it('verifies the password and nothing else, not even a near miss', async () => {
    const hash = parsePasswordHash(await passwordHash());
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword(`${PASSWORD} `, hash)).toBe(false);
    expect(await verifyPassword(PASSWORD.toUpperCase(), hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash: one password, two different lines', async () => {
    expect(await hashPassword(PASSWORD)).not.toBe(await passwordHash());
  });

  it('reads a password typed in another Unicode normal form as the same password', async () => {
    const hash = parsePasswordHash(await hashPassword('caf\u00e9-latte'));
    expect(await verifyPassword('cafe\u0301-latte', hash)).toBe(true);
  });

  it('makes an unmatchable twin of a hash, with the same cost, for unknown user names', async () => {
    const hash = parsePasswordHash(await passwordHash());
    const decoy = unmatchableHash(hash);
    expect({ N: decoy.N, r: decoy.r, p: decoy.p }).toEqual({ N: hash.N, r: hash.r, p: hash.p });
    expect(decoy.salt.equals(hash.salt)).toBe(false);
    expect(await verifyPassword(PASSWORD, decoy)).toBe(false);
  });
});

describe('PasswordChecks', () => {
  it('refuses a check at once, without queueing it, while every thread is busy; the next one runs', async () => {
    const one = new PasswordChecks(1);
    try {
      const hash = parsePasswordHash(await passwordHash());
      const first = one.matches(PASSWORD, hash);
      await expect(one.matches(PASSWORD, hash)).rejects.toBeInstanceOf(PasswordChecksBusy);
      expect(await first).toBe(true);
      expect(await one.matches('wrong', hash)).toBe(false);
    } finally {
      await one.close();
    }
  });
});

describe('parsePasswordHash refuses damaged or unsafe lines, saying why', () => {
  const salt = Buffer.alloc(16, 1).toString('base64');
  const key = Buffer.alloc(32, 2).toString('base64');
  it.each([
    ['', /must be scrypt\$N\$r\$p\$salt\$key/],
    ['the-password-itself', /must be scrypt/],
    [`bcrypt$32768$8$1$${salt}$${key}`, /must be scrypt/],
    [`scrypt$32768$8$1$${salt}`, /must be scrypt/],
    [`scrypt$32768$8$1$${salt}$${key}$extra`, /must be scrypt/],
    [`scrypt$32768$8$1$${salt}$not base64!`, /must be scrypt/],
    [`scrypt$30000$8$1$${salt}$${key}`, /N must be a power of 2/],
    [`scrypt$1024$8$1$${salt}$${key}`, /at least 16384/],
    [`scrypt$32768$0$1$${salt}$${key}`, /r must be at least 1/],
    [`scrypt$1048576$8$1$${salt}$${key}`, /more than 256 MiB/],
    [`scrypt$32768$8$1$${Buffer.alloc(8).toString('base64')}$${key}`, /salt must be at least 16 bytes/],
    [`scrypt$32768$8$1$${salt}$${Buffer.alloc(8).toString('base64')}`, /key must be 16 to 64 bytes/],
  ])('%j', (line, message) => {
    expect(() => parsePasswordHash(line)).toThrow(PasswordHashError);
    expect(() => parsePasswordHash(line)).toThrow(message);
  });

  it('tolerates spaces around a pasted line', async () => {
    const line = await passwordHash();
    expect(formatPasswordHash(parsePasswordHash(`  ${line}\n`))).toBe(line);
  });
});

describe('console configuration', () => {
  it('is off by default, for user admin, with 8-hour sessions and 10 failed sign-ins per 15 minutes', () => {
    expect(loadConfig({}).console).toEqual({
      user: 'admin',
      passwordHash: undefined,
      sessionMs: 8 * 3_600_000,
      maxFailedSignIns: 10,
      maxFailedSignInsPerAddress: 30,
      maxFailedSignInsTotal: 300,
      concurrentPasswordChecks: 1,
    });
  });

  it('parses ADMIN_PASSWORD_HASH at start-up and reads ADMIN_USER and SESSION_HOURS', async () => {
    const line = await passwordHash();
    const config = loadConfig({ ADMIN_USER: 'ops.lead@example', ADMIN_PASSWORD_HASH: line, SESSION_HOURS: '168' });
    expect(config.console.user).toBe('ops.lead@example');
    expect(config.console.passwordHash && formatPasswordHash(config.console.passwordHash)).toBe(line);
    expect(config.console.sessionMs).toBe(168 * 3_600_000);
  });

  it.each([
    ['ADMIN_PASSWORD_HASH', 'hunter2', 'must be scrypt$N$r$p$salt$key'],
    ['ADMIN_PASSWORD_HASH', `scrypt$30000$8$1$${'A'.repeat(24)}$${'B'.repeat(44)}`, 'N must be a power of 2'],
    ['SESSION_HOURS', '0', 'must be a whole number from 1 to 168'],
    ['SESSION_HOURS', '169', 'must be a whole number from 1 to 168'],
    ['ADMIN_USER', 'ops lead', 'must be 1 to 64 letters'],
  ])('refuses %s=%j naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(`Invalid configuration: ${name}: ${message}`);
  });
});

describe('npm run hash-password', () => {
  const run = (input: string) =>
    spawnSync(path.resolve('node_modules/.bin/tsx'), ['src/console/hash-password.ts'], { input, encoding: 'utf8', timeout: 30_000 });

  it('reads a piped password, less its final newline, and prints the .env line', async () => {
    const out = run(`${PASSWORD}\n`);
    expect(out.status).toBe(0);
    const match = /^ADMIN_PASSWORD_HASH=(scrypt\$\S+)\n$/.exec(out.stdout);
    expect(match).not.toBeNull();
    const hash = loadConfig({ ADMIN_PASSWORD_HASH: match?.[1] ?? '' }).console.passwordHash;
    expect(hash && (await verifyPassword(PASSWORD, hash))).toBe(true);
    expect(out.stdout).not.toContain(PASSWORD);
  });

  it('refuses a password shorter than 8 characters', () => {
    const out = run('short');
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('at least 8 characters');
    expect(out.stdout).toBe('');
  });
});
