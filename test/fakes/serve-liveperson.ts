/**
 * A stand-in LivePerson IVR Engagement API for testers walking calls against a running
 * server (npm run fake:liveperson). It listens on 127.0.0.1, answers like LivePerson,
 * and switches its answer when you type one of the modes and press Enter:
 *
 *   available       "Available", a fresh one-time urlToChat each time (valid 300 s)
 *   not-available   "Not Available"
 *   busy            "Available" with a 900 s expected wait
 *   error           HTTP 500 in LivePerson's error shape
 *   slow            no answer (the campaign's timeout fires)
 *
 * Point a campaign at it with availability {"kind":"liveperson","accountId":"90412079",
 * "baseUrl":"http://127.0.0.1:4100"}. Options: --port 4100 --mode available
 */
import readline from 'node:readline';
import type { FakeReply } from './fake-server';
import { LP_ACCOUNT_ID, lpAvailable, lpError, lpHang, lpNotAvailable, startFakeLivePerson } from './liveperson';

const MODES: Record<string, () => FakeReply> = {
  available: () => lpAvailable(),
  'not-available': () => lpNotAvailable(),
  busy: () => lpAvailable({ expectedWaitTimeSeconds: 900 }),
  error: () => lpError(500, 'Internal server error', 1003),
  slow: () => lpHang(),
};

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return (at >= 0 ? process.argv[at + 1] : undefined) ?? fallback;
}

async function main(): Promise<void> {
  let mode = option('mode', 'available');
  if (!MODES[mode]) throw new Error(`--mode must be one of: ${Object.keys(MODES).join(', ')}`);
  const fake = await startFakeLivePerson(LP_ACCOUNT_ID, (req) => {
    console.log(`${new Date().toISOString()} ${req.method} ${req.url} -> ${mode}`);
    return (MODES[mode] ?? MODES.available!)();
  }, Number(option('port', '4100')));
  console.log(`Fake LivePerson engagement API on ${fake.url}${fake.engagementPath}?v=1.0 (account ${LP_ACCOUNT_ID})`);
  console.log(`Answering: ${mode}. Type ${Object.keys(MODES).join(' | ')} and Enter to switch; Ctrl-C to stop.`);
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const wanted = line.trim();
    if (MODES[wanted]) {
      mode = wanted;
      console.log(`Answering: ${mode}`);
    } else if (wanted) {
      console.log(`Unknown mode "${wanted}"; one of: ${Object.keys(MODES).join(', ')}`);
    }
  });
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
