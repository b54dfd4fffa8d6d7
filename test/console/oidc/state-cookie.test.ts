import type { Request, Response } from 'express';
import { MAX_AGE_SECONDS, readPending, savePending, stateKey } from '../../../src/console/oidc/state-cookie';

/**
 * The pending sign-in cookie, on an injected clock: it lasts MAX_AGE_SECONDS, and one
 * signed with another client secret (another deployment) is refused.
 */

const PENDING = { state: 's'.repeat(43), nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43), next: '/admin/reports' };
const BASE = 'https://console.example.com';

/** The cookie a response set, as the request that comes back with it. */
function roundTrip(key: string, at: Date): Request {
  const lines: string[] = [];
  const res = { append: (_name: string, value: string) => lines.push(value) } as unknown as Response;
  savePending(res, { secure: true, headers: {} } as Request, BASE, key, PENDING, at);
  const pair = lines[0]!.split(';')[0]!;
  expect(lines[0]).toMatch(/HttpOnly/);
  expect(lines[0]).toMatch(/SameSite=Lax/);
  expect(lines[0]).toMatch(/Secure/);
  expect(lines[0]).toContain(`Max-Age=${MAX_AGE_SECONDS}`);
  return { secure: true, headers: { cookie: pair } } as Request;
}

describe('the pending sign-in cookie', () => {
  const key = stateKey('a-client-secret-of-some-length');
  const start = new Date('2026-12-05T01:00:00Z');

  it('brings the sign-in back within ten minutes', () => {
    const req = roundTrip(key, start);
    expect(readPending(req, BASE, key, new Date(start.getTime() + (MAX_AGE_SECONDS - 1) * 1000))).toEqual(PENDING);
  });

  it('is refused once the sign-in is older than ten minutes', () => {
    const req = roundTrip(key, start);
    expect(readPending(req, BASE, key, new Date(start.getTime() + (MAX_AGE_SECONDS + 1) * 1000))).toEqual({ problem: expect.stringMatching(/more than 600 seconds/) });
  });

  it('is refused when signed by another deployment (another client secret)', () => {
    const req = roundTrip(stateKey('another-client-secret-entirely'), start);
    expect(readPending(req, BASE, key, start)).toEqual({ problem: expect.stringMatching(/does not match/) });
  });
});
