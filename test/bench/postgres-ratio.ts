/**
 * `npx tsx test/bench/postgres-ratio.ts` (after `npm run build`): whole deflections at
 * saturation (50 callers, no pause), SQLite then PostgreSQL (one instance, a fresh
 * database each run: TEST_DATABASE_URL), ROUNDS times (default 1), one JSON line per round
 * with PostgreSQL's ratio to SQLite, then a summary line: the median ratio against issue
 * 21's target (0.8). Each run also reports the CPU the server used per deflection and, for
 * PostgreSQL, the CPU of its backends (from /proc: figures that move less with what else
 * the machine runs than deflections per second do), and the server's peak RSS.
 *
 * BASE_ROOT=<a built checkout of another version> adds that version's PostgreSQL run to
 * each round (the before/after of the README). ONLY=pg or ONLY=sqlite runs one store.
 * PRELOAD=test/bench/pg-counter.cjs counts the statements the server sends, with their time
 * and the pool's waits (test-artifacts/pg-count-<round>.json; the base's: round + 50).
 * SAMPLE_WAITS=1 samples what the server's backends are doing (running, waiting on a lock,
 * on the WAL, idle in a transaction). BENCH_NODE_ARGS adds Node flags (`--cpu-prof ...`); BENCH_NODE_FLAGS replaces `npm start`'s.
 * The campaign and limits are those of `npm run bench`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { BULK_TEXTING_ENV, ROOT, bulkCampaignsDir, bulkExampleCampaign, cpuMicros, deflections, freePort, peakRssMb, benchNodeFlags, waitFor } from './support';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const ONLY = process.env.ONLY ?? 'both';
const PRELOAD = process.env.PRELOAD ? ['-r', process.env.PRELOAD] : [];
// As `npm start` runs the server unless BENCH_NODE_FLAGS says otherwise (as in run.ts).
const NODE_FLAGS = benchNodeFlags();
const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
function spawnServer(env: Record<string, string>, root = ROOT): ChildProcess {
  return spawn(process.execPath, [...PRELOAD, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), ...NODE_FLAGS, 'dist/main.js'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}
/** CPU seconds (user + system) a process has used so far; 0 when it is gone (a backend that closed). */
function cpuSeconds(pid: number | undefined): number {
  try {
    return pid === undefined ? 0 : cpuMicros(pid) / 1e6;
  } catch {
    return 0;
  }
}
/** The CPU seconds of the PostgreSQL backends serving a database (the server's pool), by pid. */
async function backendsCpu(admin: Client, db: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}
/** Saturation (no pause) against one server, in this script's JSON line's terms. */
async function saturation(base: string, firstCall: number) {
  const r = await deflections(base, 50, 0, firstCall, DURATION_S);
  return { seconds: r.seconds, dps: r.deflectionsPerSecond, p50: r.submitP50ms, p99: r.submitP99ms, failures: r.failures, done: r.deflections };
}
/** With PRELOAD=test/bench/pg-counter.cjs: where the server writes its statement counts. */
function countsOut(round: number): Record<string, string> {
  if (!PRELOAD.length) return {};
  fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  return { PG_COUNT_OUT: path.join(ROOT, `test-artifacts/pg-count-${round}.json`) };
}
/**
 * SAMPLE_WAITS=1: what the server's backends are doing, sampled every 20 ms from
 * pg_stat_activity during the load (a second admin connection): running, waiting for a
 * lock (advisory: the send limits or the events-out turn), for the WAL, or idle in a
 * transaction waiting for this Node process. Shares of all backend samples.
 */
function sampleWaits(adminUrl: string, db: string): () => Promise<Record<string, number>> {
  const client = new Client({ connectionString: adminUrl });
  const tally = new Map<string, number>();
  let total = 0;
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ s: string }>(
        `SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'running') ELSE state END
                || CASE WHEN wait_event = 'advisory' THEN ' ' || left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 40) ELSE '' END AS s
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db],
      );
      for (const { s } of rows) tally.set(s, (tally.get(s) ?? 0) + 1);
      total += rows.length;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
    await client.end();
    return Object.fromEntries([...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, Number((n / Math.max(1, total)).toFixed(3))]));
  };
}
function perDeflection(cpuS: number, done: number) { return done ? Number(((cpuS * 1000) / done).toFixed(2)) : 0; }
async function stop(c: ChildProcess) { c.kill('SIGTERM'); await new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(undefined))); }
async function sqliteRun(round: number) {
  const port = await freePort(); const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'h31-data-'));
  const app = spawnServer({ PORT: String(port), HOST: '127.0.0.1', IVR_START_RATE_LIMIT: '0', IVR_SEND_RATE_LIMIT: '0', DATA_DIR: dataDir, CAMPAIGNS_DIR: bulkCampaignsDir(), LOG_LEVEL: 'warn', ...BULK_TEXTING_ENV });
  try {
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    const cpu0 = cpuSeconds(app.pid);
    const result = await saturation(`http://127.0.0.1:${port}`, round * 100_000);
    return { ...result, serverCpuMsPerDeflection: perDeflection(cpuSeconds(app.pid) - cpu0, result.done), peakRssMb: peakRssMb(app.pid as number) };
  }
  finally { await stop(app); fs.rmSync(dataDir, { recursive: true, force: true }); }
}
async function pgRun(round: number, root = ROOT) {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const admin = new Client({ connectionString: adminUrl }); await admin.connect();
  const db = `h31_bench_${process.pid}_${round}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(adminUrl); url.pathname = `/${db}`;
  const port = await freePort();
  const app = spawnServer({ PORT: String(port), HOST: '127.0.0.1', IVR_START_RATE_LIMIT: '0', IVR_SEND_RATE_LIMIT: '0', DATABASE_URL: url.toString(), CAMPAIGNS_DIR: bulkCampaignsDir(), ADMIN_TOKEN: BENCH_ADMIN_TOKEN, LOG_LEVEL: 'warn', ...BULK_TEXTING_ENV, ...countsOut(round) }, root);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`);
    const created = await fetch(`${base}/api/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(bulkExampleCampaign()) });
    if (!created.ok) throw new Error(`campaign: ${created.status} ${await created.text()}`);
    if (PRELOAD.length) app.kill('SIGUSR2');
    const cpu0 = cpuSeconds(app.pid);
    const backends0 = await backendsCpu(admin, db);
    const waits = process.env.SAMPLE_WAITS ? sampleWaits(adminUrl, db) : undefined;
    const result = await saturation(base, 1_000_000 + round * 100_000);
    const backendStates = await waits?.();
    const server = cpuSeconds(app.pid) - cpu0;
    let database = 0;
    for (const [pid, seconds] of await backendsCpu(admin, db)) database += seconds - (backends0.get(pid) ?? 0);
    return { ...result, serverCpuMsPerDeflection: perDeflection(server, result.done), databaseCpuMsPerDeflection: perDeflection(database, result.done), peakRssMb: peakRssMb(app.pid as number), ...(backendStates ? { backendStates } : {}) };
  } finally { await stop(app); await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); }
}
async function main() {
  const rows: unknown[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const sqlite = ONLY === 'pg' ? undefined : await sqliteRun(r);
    const before = process.env.BASE_ROOT ? await pgRun(r + 50, process.env.BASE_ROOT) : undefined;
    const pg = ONLY === 'sqlite' ? undefined : await pgRun(r);
    const row = { round: r, sqlite, pgBefore: before, pg, ratioBefore: sqlite && before ? Number((before.dps / sqlite.dps).toFixed(2)) : undefined, ratio: sqlite && pg ? Number((pg.dps / sqlite.dps).toFixed(2)) : undefined, load: os.loadavg()[0]!.toFixed(1) };
    rows.push(row); console.log(JSON.stringify(row));
  }
  const ratios = rows.map((r) => (r as { ratio?: number }).ratio).filter((r): r is number => r !== undefined).sort((a, b) => a - b);
  if (ratios.length) {
    const median = ratios[Math.floor(ratios.length / 2)]!;
    console.log(`PostgreSQL / SQLite deflections per second at saturation: median ${median} of ${ratios.length} round(s) (${ratios.join(', ')}); target 0.8: ${median >= 0.8 ? 'met' : 'not met'}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
