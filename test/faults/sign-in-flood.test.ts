/**
 * Issue 15 part 5: the console's sign-in as a CPU weapon. 16 attackers at once, each
 * from an address of its own (TRUST_PROXY=loopback lets X-Forwarded-For say which), a new
 * user name per attempt, against the real server process with the default limits; an
 * IVR caller keeps starting calls beside them, and the same calls are timed before the
 * flood. Each scrypt check costs ~100 ms of CPU and 32 MiB: before the defence, every
 * attempt got one (the limit counted per address *and name*), on libuv's pool that file
 * writes and DNS share.
 *
 * What is asserted is the defence, not a latency: no more password checks (401s) than
 * SIGN_IN_MAX_FAILURES_TOTAL (300 by default), every other attempt refused with 429, no
 * 5xx, every IVR request answered. The IVR latencies are printed for the README.
 */
import { hashPassword } from '../../src/console/password';
import { cleanUpProcesses } from '../helpers/server-process';
import { DNIS, inPool, latency, startServer, type RunningServer } from './support';

const ATTACKERS = 16;
const ATTEMPTS_EACH = 40;
const IVR_REQUESTS = 200;
/** The documented default of SIGN_IN_MAX_FAILURES_TOTAL. */
const DEFAULT_TOTAL_FAILURES = 300;

afterAll(async () => {
  await cleanUpProcesses();
});

async function ivrStart(baseUrl: string, index: number): Promise<number> {
  const began = performance.now();
  const res = await fetch(`${baseUrl}/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=%2B1617555${String(index % 10_000).padStart(4, '0')}&callid=flood-${index}`);
  await res.text();
  if (res.status !== 200) throw new Error(`/vxml/start answered ${res.status}`);
  return performance.now() - began;
}

async function ivrLatencies(baseUrl: string, from: number, keepGoing: () => boolean = () => false): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < IVR_REQUESTS || keepGoing(); i += 1) times.push(await ivrStart(baseUrl, from + i));
  return times;
}

/** One attacker: the sign-in form once (its cookie and token), then a new user name per attempt. */
async function attack(baseUrl: string, attacker: number, statuses: number[]): Promise<void> {
  const address = `198.51.100.${attacker + 1}`;
  const page = await fetch(`${baseUrl}/admin/sign-in`, { headers: { 'X-Forwarded-For': address } });
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  for (let i = 0; i < ATTEMPTS_EACH; i += 1) {
    const res = await fetch(`${baseUrl}/admin/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'X-Forwarded-For': address, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, user: `guess-${attacker}-${i}`, password: `password-${i}` }).toString(),
    });
    await res.text();
    statuses.push(res.status);
  }
}

it('bounds password checks during a sign-in flood of new user names, and IVR calls keep being answered', async () => {
  const server: RunningServer = await startServer({ ADMIN_PASSWORD_HASH: await hashPassword('the real password'), TRUST_PROXY: 'loopback' });
  const { baseUrl } = server;

  const before = await ivrLatencies(baseUrl, 0);

  const statuses: number[] = [];
  let flooding = true;
  const flood = inPool(
    Array.from({ length: ATTACKERS }, (_, i) => i),
    ATTACKERS,
    (attacker) => attack(baseUrl, attacker, statuses),
  ).finally(() => {
    flooding = false;
  });
  const [during] = await Promise.all([ivrLatencies(baseUrl, 10_000, () => flooding), flood]);

  const checked = statuses.filter((s) => s === 401).length;
  const refused = statuses.filter((s) => s === 429).length;
  console.log(
    `sign-in flood: ${statuses.length} attempts from ${ATTACKERS} addresses, ${checked} password checks (401), ${refused} refused (429)\n` +
      `IVR /vxml/start before: ${latency(before)} (${before.length} requests)\n` +
      `IVR /vxml/start during: ${latency(during)} (${during.length} requests)`,
  );
  expect(statuses).toHaveLength(ATTACKERS * ATTEMPTS_EACH);
  expect(checked + refused).toBe(statuses.length);
  expect(checked).toBeGreaterThan(0);
  expect(checked).toBeLessThanOrEqual(DEFAULT_TOTAL_FAILURES);
  expect(refused).toBeGreaterThanOrEqual(statuses.length - DEFAULT_TOTAL_FAILURES);
  expect(during.length).toBeGreaterThanOrEqual(IVR_REQUESTS);
});
