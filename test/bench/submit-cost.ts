import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BULK_TEXTING_ENV, ROOT, bulkCampaignsDir, cpuMicros, deflectionQuery, freePort, percentile, startNodeFlags, waitFor } from './support';

/**
 * What one submit costs on an idle server: the built app started as `npm start` starts it,
 * warmed up, then callers one at a time (start, accept, confirm), timing the confirm from
 * the client and the server's CPU around it (/proc/<pid>/stat). Extra Node flags for the
 * server in SUBMIT_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=test-artifacts/prof").
 * SUBMIT_HEAP=1 also gives the KB allocated per whole deflection (start, accept, confirm)
 * with V8's sampling heap profiler (heap-sampling-preload.cjs, as heap-per-start.ts): the
 * figure the machine's load does not move.
 */
const CALLS = Number(process.env.SUBMIT_CALLS ?? 400);
const WARMUP = Number(process.env.SUBMIT_WARMUP ?? 200);
const FLAGS = (process.env.SUBMIT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const HEAP = process.env.SUBMIT_HEAP === '1';
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
};

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-submit-'));
  const port = await freePort();
  const heapOut = path.resolve(process.env.SUBMIT_HEAP_OUT ?? path.join(dataDir, 'deflection.heapprofile'));
  const heapFlags = HEAP ? ['--require', path.join(__dirname, 'heap-sampling-preload.cjs')] : [];
  const app = spawn(process.execPath, [...startNodeFlags(), ...heapFlags, ...FLAGS, 'dist/main.js'], {
    cwd: process.env.SUBMIT_ROOT ?? ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', IVR_START_RATE_LIMIT: '0', IVR_SEND_RATE_LIMIT: '0', DATA_DIR: dataDir, CAMPAIGNS_DIR: bulkCampaignsDir(), LOG_LEVEL: 'info', HEAP_PROFILE_OUT: heapOut, ...BULK_TEXTING_ENV },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${base}/vxml/root.vxml`);
    const next = (xml: string) => `${base}/vxml/${(/<filled>\s*<submit next="([^"]+)"/.exec(xml)?.[1] ?? '').replace(/&amp;/g, '&')}`;
    const post = async (url: string) => (await fetch(url, { method: 'POST', body: 'answer=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).text();
    const submitMs: number[] = [];
    let submitCpu = 0;
    let otherCpu = 0;
    for (let i = 0; i < WARMUP + CALLS; i++) {
      if (HEAP && i === WARMUP) {
        app.kill('SIGUSR2');
        await until(() => fs.existsSync(`${heapOut}.started`));
      }
      const c0 = cpuMicros(app.pid as number);
      const offer = await (await fetch(`${base}${deflectionQuery(900_000 + i)}`)).text();
      const confirm = await post(next(offer));
      await new Promise((r) => setTimeout(r, 5));
      const c1 = cpuMicros(app.pid as number);
      const t0 = performance.now();
      const result = await post(next(confirm));
      const t1 = performance.now();
      await new Promise((r) => setTimeout(r, 5));
      const c2 = cpuMicros(app.pid as number);
      if (!result.includes("'sent'")) throw new Error(`not sent: ${result.slice(0, 300)}`);
      if (i < WARMUP) continue;
      submitMs.push(t1 - t0);
      submitCpu += c2 - c1;
      otherCpu += c1 - c0;
    }
    submitMs.sort((a, b) => a - b);
    let kbPerDeflection: number | undefined;
    if (HEAP) {
      app.kill('SIGUSR2');
      await until(() => fs.existsSync(heapOut));
      await new Promise((r) => setTimeout(r, 500));
      const profile = JSON.parse(fs.readFileSync(heapOut, 'utf8')) as { samples: Array<{ size: number }> };
      kbPerDeflection = Number((profile.samples.reduce((sum, x) => sum + x.size, 0) / CALLS / 1024).toFixed(1));
    }
    process.stdout.write(
      `${JSON.stringify({ calls: CALLS, submitP50ms: +percentile(submitMs, 50).toFixed(2), submitP90ms: +percentile(submitMs, 90).toFixed(2), submitP99ms: +percentile(submitMs, 99).toFixed(2), cpuUsPerSubmit: Math.round(submitCpu / CALLS), cpuUsStartAndAccept: Math.round(otherCpu / CALLS), kbPerDeflection, load: os.loadavg()[0] })}\n`,
    );
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
