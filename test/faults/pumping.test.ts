/**
 * SMS pumping with the default settings: one client (one address) walks 200 calls as
 * fast as it can, half with a withheld caller id keying a different number each time,
 * half with a rotating caller id confirming it, and counts the texts it got. The
 * per-address budgets (IVR_START_RATE_LIMIT 60 and IVR_SEND_RATE_LIMIT 10 a minute)
 * bound them; every refused request still gets a valid document that ends the call.
 *
 * The bound is read from the run's own length: the budgets are per minute, so a run
 * that took longer than a minute on a busy machine may use a second minute's budget.
 */
import { cleanUpProcesses } from '../helpers/server-process';
import { expectValidVxml } from '../helpers/vxml-schema';
import { DNIS, callerNumber, messages, nextUrl, startServer } from './support';

const CALLS = 200;
const START_BUDGET = 60;
const SEND_BUDGET = 10;

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

it(`one client, ${CALLS} calls with withheld and rotating caller ids, default settings: the texts are bounded by the per-address budgets`, async () => {
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
  expect(refused.every((a) => a.xml.includes(`expr="'failed'"`))).toBe(true);
});
