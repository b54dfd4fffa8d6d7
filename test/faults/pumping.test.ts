/**
 * The SMS pumping run: one client walks 200 calls through a real server process with the
 * shipped defaults (the example campaign sets no limits), the way a fraudster's script
 * would: withheld caller ids keying numbers of their own, made-up caller ids in one
 * number range, and made-up caller ids spread over a hundred ranges. Before the defences
 * every one of the 200 calls got a text. Now the number of texts is bounded by documented
 * defaults, computed here from the same constants the README states:
 * - withheld callers share one bucket: at most perCaller (3 a day);
 * - one number range: at most PUMPING_MAX_PER_RANGE (5 per 10 minutes);
 * - everything: at most the campaign's hourly cap (60), under the service budget (300).
 */
import { DEFAULT_HOURLY_CAP } from '../../src/campaigns/schema';
import { DEFAULT_ABUSE_SETTINGS } from '../../src/deflection/abuse-settings';
import { cleanUpProcesses } from '../helpers/server-process';
import { DNIS, messages, nextUrl, startServer } from './support';

const CALLS = 200;
const WITHHELD_PER_DAY = 3;

afterAll(cleanUpProcesses);

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
async function walk(baseUrl: string, i: number): Promise<void> {
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

it(`bounds what ${CALLS} scripted calls with withheld and rotating caller ids can text, with the default settings`, async () => {
  const server = await startServer();
  for (let i = 0; i < CALLS; i++) await walk(server.baseUrl, i);

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
