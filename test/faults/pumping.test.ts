/**
 * The SMS pumping run, twice. One client walks 200 calls as fast as it can through a real
 * server process with the shipped defaults, the way a fraudster's script would, with
 * withheld caller ids keying numbers of their own and made-up, rotating caller ids. Before
 * the defences every one of the 200 calls got a text.
 *
 * 1. From an address of its own (the IVR port reached directly): the per-address budgets
 *    (IVR_START_RATE_LIMIT 60 and IVR_SEND_RATE_LIMIT 10 a minute) bound it, and every
 *    refused request still gets a valid document that ends the call. The bound is read
 *    from the run's own length: the budgets are per minute, so a run that took longer
 *    than a minute on a busy machine may use a second minute's budget.
 * 2. Through the platform's own address (inside IVR_ALLOWED_CIDRS, as calls dialled to
 *    the real phone number arrive): the flow's defaults bound it, computed here from the
 *    constants the README states:
 *    - withheld callers share one bucket: at most perCaller (3 a day);
 *    - one number range: at most PUMPING_MAX_PER_RANGE (5 per 10 minutes);
 *    - everything: at most the campaign's hourly cap (60), under the service budget (300).
 */
import { DEFAULT_HOURLY_CAP } from '../../src/campaigns/schema';
import { DEFAULT_ABUSE_SETTINGS } from '../../src/deflection/abuse-settings';
import { cleanUpProcesses } from '../helpers/server-process';
import { expectValidVxml } from '../helpers/vxml-schema';
import { DNIS, callerNumber, messages, nextUrl, resultOf, startServer } from './support';

const CALLS = 200;
const START_BUDGET = 60;
const SEND_BUDGET = 10;
const WITHHELD_PER_DAY = 3;

afterAll(cleanUpProcesses);

interface Answer {
  status: number;
  xml: string;
}

async function fetchDocument(url: string, form?: Record<string, string>): Promise<Answer> {
  const res = form
    ? await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : await fetch(url);
  return { status: res.status, xml: await res.text() };
}

/** What a pumping script keys: 1 to accept, its victim's number when asked for one, 1 to confirm. */
function keysFor(url: string, victim: string): string {
  return new URL(url).pathname.endsWith('/number') ? victim.slice(2) : '1';
}

/** One call walked to its end (or its refusal); returns every answer it got. */
async function pumpOnce(baseUrl: string, i: number): Promise<Answer[]> {
  const withheld = i % 2 === 0;
  const ani = withheld ? '' : callerNumber(1, i);
  const victim = callerNumber(2, i);
  const startUrl = `${baseUrl}/vxml/start?${new URLSearchParams({ dnis: DNIS, ani, callid: `pump-${i}` })}`;
  const answers = [await fetchDocument(startUrl)];
  let url = startUrl;
  for (let step = 0; step < 6; step += 1) {
    const last = answers[answers.length - 1] as Answer;
    if (last.status !== 200 || !/<filled>\s*<submit/.test(last.xml)) break;
    url = nextUrl(last.xml, url);
    answers.push(await fetchDocument(url, { answer: keysFor(url, victim) }));
  }
  return answers;
}

it(`from its own address: one client, ${CALLS} calls with withheld and rotating caller ids, default settings: the texts are bounded by the per-address budgets`, async () => {
  // The defaults: no IVR_ALLOWED_CIDRS (the fault tests' platform networks are taken away).
  const server = await startServer({ IVR_ALLOWED_CIDRS: '' });
  const began = performance.now();
  const calls: Answer[][] = [];
  for (let i = 0; i < CALLS; i += 1) calls.push(await pumpOnce(server.baseUrl, i));
  const minutes = Math.ceil((performance.now() - began) / 60_000);

  const answers = calls.flat();
  const refused = answers.filter((a) => a.status === 429);
  const started = calls.filter((c) => c[0]?.status === 200).length;
  const texts = (await messages(server.baseUrl, {})).length;
  process.stdout.write(
    `pumping: ${CALLS} calls from one address in ${minutes} minute window(s): ${started} started, ${texts} texts, ` +
      `${refused.length} requests refused with 429 (budgets ${START_BUDGET} starts and ${SEND_BUDGET} sends a minute)\n`,
  );

  expect(started).toBeLessThanOrEqual(START_BUDGET * minutes);
  expect(texts).toBeGreaterThan(0);
  expect(texts).toBeLessThanOrEqual(SEND_BUDGET * minutes);
  // Only what the budgets refused, and every refusal a document that ends the call politely.
  expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
  for (const a of refused.slice(0, 5)) await expectValidVxml(a.xml);
  expect(refused.every((a) => resultOf(a.xml).status === 'failed')).toBe(true);
});

type Group = 'withheld' | 'one-range' | 'spread';

/** Call i of the script: who it claims to be, and (withheld) the number it keys. */
function scriptedCall(i: number): { group: Group; ani: string; keyed?: string } {
  const line = String(1000 + i).slice(-4);
  switch (i % 4) {
    case 0:
      return { group: 'withheld', ani: ['anonymous', '', 'restricted', '0'][(i / 4) % 4] as string, keyed: `508${200 + ((i / 4) % 100)}${line}` };
    case 1:
      return { group: 'one-range', ani: `+1312555${line}` };
    default:
      return { group: 'spread', ani: `+1617${200 + (i % 100)}${line}` };
  }
}

/** Walks one call as a VoiceXML browser would; answers past the first non-200 or non-question are the end. */
async function walkScripted(baseUrl: string, i: number): Promise<void> {
  const call = scriptedCall(i);
  let url = `${baseUrl}/vxml/start?dnis=${encodeURIComponent(DNIS)}&ani=${encodeURIComponent(call.ani)}&callid=pump-${i}`;
  let xml = await fetchText(url);
  const answers = call.keyed ? ['1', call.keyed, '1'] : ['1', '1'];
  for (const answer of answers) {
    if (!xml || !/<filled>\s*<submit/.test(xml)) return;
    const next = nextUrl(xml, url);
    xml = await fetchText(next, `answer=${answer}`);
    url = next;
  }
}

async function fetchText(url: string, form?: string): Promise<string | undefined> {
  const res = form
    ? await fetch(url, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : await fetch(url);
  const text = await res.text();
  // A refusal of the request itself (a rate limit) ends the call as surely as a hand-back.
  return res.status === 200 ? text : undefined;
}

it(`through the platform's address: the flow bounds what ${CALLS} scripted calls with withheld and rotating caller ids can text, with the default settings`, async () => {
  // The fault tests' server plays the platform from loopback (IVR_ALLOWED_CIDRS), so the
  // per-address budgets are the platform's large ones: only the flow's defences are left.
  const server = await startServer();
  for (let i = 0; i < CALLS; i++) await walkScripted(server.baseUrl, i);

  const texted = await messages(server.baseUrl, {});
  const groupOf = new Map<string, Group>();
  for (let i = 0; i < CALLS; i++) {
    const call = scriptedCall(i);
    groupOf.set(call.keyed ? `+1${call.keyed}` : call.ani, call.group);
  }
  const count = (group: Group) => texted.filter((m) => groupOf.get(m.to) === group).length;
  const bound = Math.min(DEFAULT_HOURLY_CAP, DEFAULT_ABUSE_SETTINGS.serviceHourlyBudget);
  console.log(
    `pumping run: ${CALLS} calls, ${texted.length} texts (bound ${bound}): withheld ${count('withheld')} (bound ${WITHHELD_PER_DAY}), ` +
      `one range ${count('one-range')} (bound ${DEFAULT_ABUSE_SETTINGS.pumping.maxPerRange}), spread ${count('spread')}`,
  );

  expect(texted.length).toBeLessThanOrEqual(bound);
  expect(count('withheld')).toBeLessThanOrEqual(WITHHELD_PER_DAY);
  expect(count('one-range')).toBeLessThanOrEqual(DEFAULT_ABUSE_SETTINGS.pumping.maxPerRange);
  expect(count('withheld') + count('one-range') + count('spread')).toBe(texted.length);
  // Not bounded by the script failing: legitimate-looking calls did get their texts.
  expect(texted.length).toBeGreaterThan(WITHHELD_PER_DAY + DEFAULT_ABUSE_SETTINGS.pumping.maxPerRange);
});
