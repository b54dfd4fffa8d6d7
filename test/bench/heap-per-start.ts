/**
 * Bytes allocated per call start: the figure issue 21's passes judged each change by,
 * because the machine's load does not move it (repeat runs agree within 1%) while req/s
 * and CPU per request move by a third on a shared machine. The built server (`npm run
 * build` first) runs as `npm start` runs it, with V8's sampling heap profiler
 * (heap-sampling-preload.cjs); 1,000 starts warm it up, then 3,000 starts at 20
 * connections are profiled. Prints KB per start and the functions that allocate most.
 *
 *   npx tsx test/bench/heap-per-start.ts [profile.heapprofile]   (TOP=25 lines)
 *
 * The profile file opens in Chrome DevTools (Memory tab, Load).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

import { ROOT, startNodeFlags } from './support';
const WARM_UP = 1_000;
const PROFILED = 3_000;
const CONNECTIONS = 20;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
interface Profile {
  head: ProfileNode;
  samples: Array<{ size: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

function starts(url: string, amount: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, amount }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-heap-'));
  const out = path.resolve(process.argv[2] ?? path.join(work, 'start.heapprofile'));
  // The bench's campaign (test/bench/run.ts): the example without caps.
  const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'campaigns/example.json'), 'utf8')) as Record<string, unknown>;
  fs.mkdirSync(path.join(work, 'campaigns'));
  fs.writeFileSync(path.join(work, 'campaigns/example.json'), JSON.stringify({ ...example, limits: { hourlyCap: null, dailyCap: null } }));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(process.execPath, [...startNodeFlags(), '--require', path.join(__dirname, 'heap-sampling-preload.cjs'), 'dist/main.js'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      IVR_START_RATE_LIMIT: '0',
      IVR_SEND_RATE_LIMIT: '0',
      DATA_DIR: path.join(work, 'data'),
      CAMPAIGNS_DIR: path.join(work, 'campaigns'),
      LOG_LEVEL: 'info',
      SMS_SERVICE_HOURLY_BUDGET: '1000000',
      PUMPING_MAX_PER_RANGE: '100000',
      HEAP_PROFILE_OUT: out,
    },
  });
  try {
    const url = `http://127.0.0.1:${port}/vxml/start?dnis=%2B18005550100&ani=%2B16175551234&callid=bench`;
    for (;;) {
      const up = await fetch(url).then((r) => r.ok, () => false);
      if (up) break;
      await sleep(100);
    }
    await starts(url, WARM_UP);
    server.kill('SIGUSR2');
    await until(() => fs.existsSync(`${out}.started`));
    const result = await starts(url, PROFILED);
    server.kill('SIGUSR2');
    await until(() => fs.existsSync(out));
    await sleep(500);
    const profile = JSON.parse(fs.readFileSync(out, 'utf8')) as Profile;
    const served = result.requests.total;
    const bytes = profile.samples.reduce((sum, s) => sum + s.size, 0);
    process.stdout.write(`${served} starts (${result.non2xx} not 2xx): ${(bytes / served / 1024).toFixed(1)} KB allocated per start\n`);
    const bySite = new Map<string, number>();
    const walk = (node: ProfileNode): void => {
      const { functionName, url: file, lineNumber } = node.callFrame;
      const site = `${functionName || '(anonymous)'} ${path.basename(file)}:${lineNumber + 1}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      node.children.forEach(walk);
    };
    walk(profile.head);
    const top = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 25));
    for (const [site, size] of top) process.stdout.write(`${(size / served / 1024).toFixed(2).padStart(7)} KB  ${site}\n`);
    process.stdout.write(`profile: ${out}\n`);
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
