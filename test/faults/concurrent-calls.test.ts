/**
 * 500 calls at once against one server process, each walked by the project's VoiceXML
 * browser (src/simulator) as a platform would: the application root document, every
 * prompt, grammar, <filled> and <submit>. The callers take mixed paths: accept and
 * confirm, decline, a withheld caller ID and a typed number, changing the number, silence
 * until the call is handed back, and subdialog mode. Every call must end the way its path
 * ends when it is the only call, and the server must send exactly the texts those calls
 * asked for.
 *
 * Nothing here depends on the machine's speed. The 500 browsers share this process, so on
 * a busy machine their own CPU stretches every fetch: with the documents' fetchtimeouts
 * (8 s, 15 s for the send) a loaded run failed 221 of 1,669 fetches the server had
 * answered. Each fetch gets a hang guard instead, and the latencies are reported (with the
 * fetches over 8 s). Likewise a caller told "on its way" (the send outlasted the caller's
 * wait, SMS_CALLER_WAIT_MS) has ended as a sent call does: its text is waited for.
 */
import { simulateCall } from '../../src/simulator/simulate';
import { scriptedInputs, parseInput } from '../../src/simulator/inputs';
import type { CallOutcome, EndReason } from '../../src/simulator/types';
import { cleanUpProcesses } from '../helpers/server-process';
import { DNIS, bulkTextingEnv, callerNumber, envNumber, errorLogLines, latency, messages, startServer, waitFor, type MessageView } from './support';

const CALLS = envNumber('FAULTS_CONCURRENT_CALLS', 500);
/** Every fetch's timeout: only a server that never answers reaches it. */
const FETCH_HANG_GUARD_MS = 300_000;
/** The documents' shortest fetchtimeout (src/deflection/pages.ts), for the report. */
const DOCUMENT_FETCH_TIMEOUT_MS = 8_000;

interface Path {
  name: string;
  ani(i: number): string;
  inputs(i: number): string[];
  subdialog?: boolean;
  ending: EndReason;
  values: Record<string, string>;
  /** The number texted, when the path sends one. */
  texted?(i: number): string;
}

/** The number a caller keys in: ten digits and pound, as the prompt asks. */
const typed = (i: number) => `${callerNumber(1, i).slice(2)}#`;

/** Ten paths, taken in turn: four in ten accept and confirm, the rest one each. */
const PATHS: Path[] = [
  ...Array.from({ length: 4 }, (): Path => ({
    name: 'accept, confirm the caller ID',
    ani: (i) => callerNumber(0, i),
    inputs: () => ['1', '1'],
    ending: 'disconnect',
    values: { status: 'sent', reason: 'accepted' },
    texted: (i) => callerNumber(0, i),
  })),
  ...Array.from({ length: 2 }, (): Path => ({
    name: 'decline',
    ani: (i) => callerNumber(0, i),
    inputs: () => ['2'],
    ending: 'exit',
    values: { status: 'declined', reason: 'caller-declined' },
  })),
  {
    name: 'withheld caller ID, type a number',
    ani: () => 'anonymous',
    inputs: (i) => ['1', typed(i), '1'],
    ending: 'disconnect',
    values: { status: 'sent', reason: 'accepted' },
    texted: (i) => callerNumber(1, i),
  },
  {
    name: 'accept, change the number, type one',
    ani: (i) => callerNumber(0, i),
    inputs: (i) => ['1', '2', typed(i), '1'],
    ending: 'disconnect',
    values: { status: 'sent', reason: 'accepted' },
    texted: (i) => callerNumber(1, i),
  },
  {
    name: 'silence three times at the offer',
    ani: (i) => callerNumber(0, i),
    inputs: () => ['noinput', 'noinput', 'noinput'],
    ending: 'exit',
    values: { status: 'declined', reason: 'no-input' },
  },
  {
    name: 'subdialog: accept, confirm',
    ani: (i) => callerNumber(0, i),
    inputs: () => ['1', '1'],
    subdialog: true,
    ending: 'return',
    values: { status: 'sent', reason: 'accepted' },
    texted: (i) => callerNumber(0, i),
  },
];

afterAll(cleanUpProcesses);

it(`completes ${CALLS} concurrent simulated calls on mixed paths, each ending as it should`, async () => {
  const server = await startServer(bulkTextingEnv());

  const calls = Array.from({ length: CALLS }, (_, i) => ({ i, path: PATHS[i % PATHS.length] as Path }));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const results = await Promise.all(
    calls.map(async ({ i, path }) => {
      const ani = path.ani(i);
      const query = new URLSearchParams({ dnis: DNIS, ani, callid: `concurrent-${i}`, ...(path.subdialog ? { mode: 'subdialog' } : {}) });
      const began = performance.now();
      const outcome = await simulateCall({
        url: `${server.baseUrl}/vxml/start?${query}`,
        dnis: DNIS,
        ani,
        callId: `concurrent-${i}`,
        inputs: scriptedInputs(path.inputs(i).map(parseInput)),
        fetchTimeoutOverrideMs: FETCH_HANG_GUARD_MS,
      });
      return { i, path, outcome, ms: performance.now() - began };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // The 500 browsers share this process: when it is busy all along, the latencies below are
  // mostly theirs (ECMAScript contexts, XML parsing), not the server's.
  const cpu = process.cpuUsage(cpuBefore);
  const browserCpuSeconds = (cpu.user + cpu.system) / 1e6;

  const wrong = results.filter(({ path, outcome }) => !endsAs(outcome, path));
  const fetchMs = results.flatMap(({ outcome }) => outcome.transcript.flatMap((e) => (e.kind === 'fetch' ? [e.ms] : [])));
  const fetchErrors = results.flatMap(({ outcome }) => outcome.transcript.filter((e) => e.kind === 'fetch' && (e.error || e.status !== 200)));
  const expectedTexts = results.flatMap(({ i, path }) => (path.texted ? [path.texted(i)] : []));
  // One page of the admin API (at most 500) holds them all up to about 700 calls.
  if (expectedTexts.length > 500) throw new Error('FAULTS_CONCURRENT_CALLS: at most 700, so that the texts fit one page');
  const queued = results.filter(({ outcome }) => outcome.values?.reason === 'queued').length;
  console.log(
    [
      `concurrent calls: ${CALLS} at once in ${seconds.toFixed(1)} s (${(CALLS / seconds).toFixed(0)} calls/s, ${(fetchMs.length / seconds).toFixed(0)} fetches/s)`,
      `  whole call ${latency(results.map((r) => r.ms))}; each fetch ${latency(fetchMs)} (${fetchMs.length} fetches, ${fetchErrors.length} failed, ${fetchMs.filter((ms) => ms > DOCUMENT_FETCH_TIMEOUT_MS).length} over the documents' ${DOCUMENT_FETCH_TIMEOUT_MS / 1000} s fetchtimeout)`,
      `  callers told "on its way" (the send outlasted the caller's wait): ${queued}`,
      `  the simulated browsers used ${browserCpuSeconds.toFixed(1)} s of CPU in those ${seconds.toFixed(1)} s`,
      ...[...new Set(PATHS.map((p) => p.name))].map((name) => {
        const mine = results.filter((r) => r.path.name === name);
        return `  ${name}: ${mine.length} calls, ${mine.filter((r) => endsAs(r.outcome, r.path)).length} ended as expected`;
      }),
    ].join('\n'),
  );
  expect(wrong.slice(0, 3).map(({ i, path, outcome }) => `#${i} ${path.name}: ${describe(outcome)}`)).toEqual([]);
  expect(fetchErrors).toEqual([]);

  // A caller told "on its way" gets the text a moment later: wait for every expected one
  // (or more: a duplicate must show), then check them.
  let latest: MessageView[] = [];
  const byStatus = () => JSON.stringify(latest.reduce<Record<string, number>>((n, m) => ({ ...n, [m.status]: (n[m.status] ?? 0) + 1 }), {}));
  await waitFor(
    `the ${expectedTexts.length} texts the calls asked for`,
    FETCH_HANG_GUARD_MS,
    async () => {
      latest = await messages(server.baseUrl, {});
      return latest.filter((m) => m.status === 'sent').length >= expectedTexts.length ? true : undefined;
    },
    () => `messages by status: ${byStatus()}`,
  );
  const sent = latest.filter((m) => m.status === 'sent');
  console.log(`  texts: ${sent.length} sent, ${expectedTexts.length} expected; messages by status ${byStatus()}`);
  expect(new Set(sent.map((m) => m.to))).toEqual(new Set(expectedTexts));
  expect(sent).toHaveLength(expectedTexts.length);
  expect(errorLogLines(server.process)).toEqual([]);
});

/**
 * Whether a call ended as its path does alone. A sent call's reason is "accepted", or
 * "queued" when the caller heard "on its way" because the send outlasted their wait (a
 * busy machine); its text is checked either way.
 */
function endsAs(outcome: CallOutcome, path: Path): boolean {
  return (
    outcome.reason === path.ending &&
    Object.entries(path.values).every(([name, value]) => {
      const got = outcome.values?.[name];
      return got === value || (name === 'reason' && value === 'accepted' && path.values.status === 'sent' && got === 'queued');
    })
  );
}

/** How a call ended, and its last steps: enough to see where it went wrong. */
function describe(outcome: CallOutcome): string {
  const tail = outcome.transcript.slice(-8).map((e) => JSON.stringify(e));
  return `ended ${outcome.reason} ${JSON.stringify(outcome.values ?? {})} ${outcome.event ?? ''} ${outcome.message ?? ''}\n${tail.join('\n')}`;
}
