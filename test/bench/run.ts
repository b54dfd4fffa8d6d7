import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { BULK_TEXTING_ENV, ROOT, bulkCampaignsDir, bulkExampleCampaign, cpuMicros, deflections, freePort, peakRssMb, benchNodeFlags, waitFor } from './support';

/**
 * `npm run bench`: on loopback, in one run,
 *  1. the start document (which creates a call in SQLite) against three baselines (node:http
 *     and bare Express serving a static string of the same size, and the in-house baseline:
 *     Express + one SQLite insert + an xmlbuilder2 offer): requests per second, p50/p99,
 *     and the ratio to each;
 *  2. whole deflections (start, accept, confirm with the sandbox gateway) at a fixed
 *     concurrency: deflections per second, p99 of the submit that sends the text, both
 *     at saturation (no pause between requests) and paced like callers (think time);
 *  3. the server's peak RSS.
 * Servers run as child processes so the load generator never shares their event loop.
 * Absolute numbers drift on shared machines; the ratio to the baseline is what holds.
 */

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const DEFLECT_CONCURRENCY = Number(process.env.BENCH_DEFLECT_CONCURRENCY ?? 50);
/** Mean pause between a caller's requests in the paced run: a prompt heard, a key pressed. */
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 1_500);
/** Paced calls are slow by nature: a longer run gives the p99 enough calls to mean something. */
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 30);
const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
/** As `npm start` runs the app (package.json); the baselines run with the same flags. BENCH_NODE_FLAGS overrides (space-separated, '' for none). */
const NODE_FLAGS = benchNodeFlags();
/** BENCH_START_ONLY=1: the baselines and the start document only (a quick check of one change). */
const START_ONLY = process.env.BENCH_START_ONLY === '1';
/**
 * BENCH_PACED_ONLY=1: the paced run alone, on a server warmed as the full run warms it
 * (the start document's load, then saturation), without the baselines or PostgreSQL: the
 * quick check of a change to the submit's p99.
 */
const PACED_ONLY = process.env.BENCH_PACED_ONLY === '1';
/**
 * What the start document is measured against, in one run: node:http and bare Express
 * answering a constant string of the same size, and the in-house baseline of issue 21
 * (Express, one SQLite insert in WAL mode, an xmlbuilder2-rendered offer of the same size).
 */
const BASELINES = [
  ['nodeHttp', 'test/bench/node-http-server.ts'],
  ['bareExpress', 'test/bench/baseline-server.ts'],
  ['inHouse', 'test/bench/in-house-server.ts'],
] as const;
const START_QUERY = '/vxml/start?dnis=%2B18005550100&ani=%2B16175551234&callid=bench';

function spawnServer(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function cannon(url: string, pid: number) {
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  const cpuUsed = cpuMicros(pid) - cpuBefore;
  const served = result.requests.total;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx + result.errors,
    /** The server process's CPU time per request served, µs: the load-robust figure. */
    cpuMicrosPerRequest: served ? Math.round(cpuUsed / served) : 0,
  };
}

/**
 * Whole deflections on PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL when it
 * answers): one instance, then three on the same database with every request sent to the
 * next instance. Each run gets a fresh database. Skipped, with a line saying so, without
 * PostgreSQL.
 */
async function sharedInstances(children: ChildProcess[]) {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://ivr_deflect:ivr_deflect@127.0.0.1:5432/ivr_deflect_test';
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch {
    process.stderr.write('bench: no PostgreSQL at BENCH_DATABASE_URL/TEST_DATABASE_URL: the instances comparison is skipped\n');
    return undefined;
  }
  const results: Record<string, unknown> = {};
  try {
    for (const count of [1, 3]) {
      const database = `ivr_deflect_bench_${count}_${process.pid}`;
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
      const instances = ports.map((port) =>
        spawnServer([...NODE_FLAGS, 'dist/main.js'], {
          PORT: String(port),
          HOST: '127.0.0.1',
          // The bench measures throughput: the per-address IVR budgets would measure themselves.
          IVR_START_RATE_LIMIT: '0',
          IVR_SEND_RATE_LIMIT: '0',
          DATABASE_URL: url.toString(),
          CAMPAIGNS_DIR: bulkCampaignsDir(),
          ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
          ...BULK_TEXTING_ENV,
          LOG_LEVEL: 'warn',
        }),
      );
      children.push(...instances);
      const bases = ports.map((port) => `http://127.0.0.1:${port}`);
      await Promise.all(bases.map((base) => waitFor(`${base}/healthz`)));
      // The example campaign, through the admin API of the first instance: all serve it from their next call.
      const example = bulkExampleCampaign();
      const created = await fetch(`${bases[0]}/api/campaigns`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(example),
      });
      if (!created.ok) throw new Error(`could not create the campaign: ${created.status} ${await created.text()}`);
      results[`instances${count}`] = await deflections(bases, DEFLECT_CONCURRENCY, 0, 1_000_000 * count, DURATION_S);
      for (const instance of instances) instance.kill('SIGTERM');
      await Promise.all(instances.map((instance) => new Promise((resolve) => (instance.exitCode === null ? instance.once('exit', resolve) : resolve(undefined)))));
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    }
  } finally {
    await admin.end();
  }
  return results;
}

type CannonResult = Awaited<ReturnType<typeof cannon>>;
/** The start-document comparison as a table on stderr (stdout keeps the JSON). */
function printStartTable(baselines: Record<string, CannonResult>, start: CannonResult & { ratioTo: Record<string, number>; cpuRatioTo: Record<string, number> }): void {
  const rows = [['server', 'req/s', 'p99 ms', 'CPU µs/req', 'ours ÷ it, req/s', 'its CPU ÷ ours']];
  for (const [name, b] of Object.entries(baselines)) {
    rows.push([name, String(b.requestsPerSecond), String(b.p99ms), String(b.cpuMicrosPerRequest), String(start.ratioTo[name]), String(start.cpuRatioTo[name])]);
  }
  rows.push(['startDocument', String(start.requestsPerSecond), String(start.p99ms), String(start.cpuMicrosPerRequest), '', '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stderr.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
  process.stderr.write(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-bench-'));
  const appPort = await freePort();
  // As `npm start` runs it (the README's "Memory" says why those flags).
  const app = spawnServer([...NODE_FLAGS, 'dist/main.js'], {
    PORT: String(appPort),
    HOST: '127.0.0.1',
    // The bench measures throughput: the per-address IVR budgets would measure themselves.
    IVR_START_RATE_LIMIT: '0',
    IVR_SEND_RATE_LIMIT: '0',
    DATA_DIR: dataDir,
    CAMPAIGNS_DIR: bulkCampaignsDir(),
    LOG_LEVEL: 'info',
    ...BULK_TEXTING_ENV,
  });
  const children: ChildProcess[] = [app];
  try {
    const appBase = `http://127.0.0.1:${appPort}`;
    await waitFor(`${appBase}/vxml/root.vxml`);
    const startBytes = Buffer.byteLength(await (await fetch(`${appBase}${START_QUERY}`)).text());

    // The baselines, each a child process with the same Node flags as the app (like with like).
    const baselines: Record<string, Awaited<ReturnType<typeof cannon>>> = {};
    for (const [name, file] of PACED_ONLY ? [] : BASELINES) {
      const port = await freePort();
      const server = spawnServer([...NODE_FLAGS, '--import', 'tsx', file], { PORT: String(port), BODY_BYTES: String(startBytes) });
      children.push(server);
      await waitFor(`http://127.0.0.1:${port}/vxml/start`);
      baselines[name] = await cannon(`http://127.0.0.1:${port}${START_QUERY}`, server.pid as number);
      server.kill('SIGTERM');
    }
    const startResult = await cannon(`${appBase}${START_QUERY}`, app.pid as number);
    if (PACED_ONLY) {
      await deflections(appBase, DEFLECT_CONCURRENCY, 0, 0, DURATION_S);
      const paced = await deflections(appBase, DEFLECT_CONCURRENCY, THINK_MS, 500_000, PACED_SECONDS);
      process.stdout.write(`${JSON.stringify({ load: os.loadavg().map((l) => Number(l.toFixed(2))), pacedCalls: paced, peakRssMb: peakRssMb(app.pid as number) })}\n`);
      return;
    }
    // Throughput ratio (ours ÷ baseline's req/s) and CPU ratio (baseline's CPU per request ÷
    // ours): both read "1.0 or more is as cheap as the baseline".
    const ratio = (a: number, b: number) => (b ? Number((a / b).toFixed(2)) : 0);
    const ratios = Object.fromEntries(Object.entries(baselines).map(([name, b]) => [name, ratio(startResult.requestsPerSecond, b.requestsPerSecond)]));
    const cpuRatios = Object.fromEntries(Object.entries(baselines).map(([name, b]) => [name, ratio(b.cpuMicrosPerRequest, startResult.cpuMicrosPerRequest)]));
    const startDocument = { ...startResult, ratioTo: ratios, cpuRatioTo: cpuRatios };
    printStartTable(baselines, startDocument);
    if (START_ONLY) {
      process.stdout.write(`${JSON.stringify({ load: os.loadavg().map((l) => Number(l.toFixed(2))), baselines, startDocument })}\n`);
      return;
    }
    const deflectResult = await deflections(appBase, DEFLECT_CONCURRENCY, 0, 0, DURATION_S);
    // Numbers of their own again (the limits allow one text per number per 10 minutes).
    const pacedResult = await deflections(appBase, DEFLECT_CONCURRENCY, THINK_MS, 500_000, PACED_SECONDS);
    const peakRss = peakRssMb(app.pid as number);
    app.kill('SIGTERM');
    const sharedResult = await sharedInstances(children);
    const results = {
      machine: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      settings: { durationSeconds: DURATION_S, connections: CONNECTIONS, deflectConcurrency: DEFLECT_CONCURRENCY, startDocumentBytes: startBytes },
      nodeFlags: NODE_FLAGS,
      baselines,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      startDocument,
      deflections: deflectResult,
      pacedCalls: pacedResult,
      peakRssMb: peakRss,
      ...(sharedResult ? { postgres: sharedResult } : {}),
    };
    fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-artifacts/bench.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exit(1);
});
