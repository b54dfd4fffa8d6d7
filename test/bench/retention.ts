import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import pino from 'pino';
import { RetentionJob, type RetentionSettings } from '../../src/retention/job';
import type { Store } from '../../src/store/port';
import { PgStore } from '../../src/store/postgres';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * `npm run bench:retention`: the retention job against a million rows (a quarter of them
 * calls, the rest their events, all past retention, plus a day of recent calls it must
 * keep) on SQLite and, when TEST_DATABASE_URL reaches one, PostgreSQL. While the job runs,
 * monitorEventLoopDelay (1 ms resolution) and a 1 ms interval watch the event loop: the
 * longest pause is what an IVR request arriving then would have waited. Prints the longest
 * pause, the p99 delay and rows deleted per second, beside the longest pause of the same
 * watch over an idle loop just before (on a shared, loaded machine that is not zero).
 * Absolute numbers drift on shared machines; the pause is what the batching keeps small.
 */

const ROWS = Number(process.env.BENCH_RETENTION_ROWS ?? 1_000_000);
const CALLS = Math.floor(ROWS / 4);
const EVENTS = ROWS - CALLS;
const KEPT = 1_000;
const NOW = new Date('2026-12-05T03:00:00.000Z');
const SETTINGS: RetentionSettings = {
  days: { calls: 400, events: 400, messages: 400, consent: 1826, 'short-links': 30, audit: 2190 },
  hour: 3,
};
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://ivr_deflect:ivr_deflect@127.0.0.1:5432/ivr_deflect_test';

interface Result {
  store: string;
  /** The same watch over an idle event loop just before the run: the machine's own noise. */
  idleMaxPauseMs: number;
  deleted: number;
  seconds: number;
  maxPauseMs: number;
  p99DelayMs: number;
  maxIntervalGapMs: number;
}

/** The longest event-loop pause over `ms` with nothing running: what a busy machine adds. */
async function idlePause(ms: number): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  histogram.disable();
  return Math.round(histogram.max / 1e5) / 10;
}

async function measure(name: string, store: Store): Promise<Result> {
  const idleMaxPauseMs = await idlePause(Number(process.env.BENCH_IDLE_MS ?? 5_000));
  // As compose.ts sets it: 5 ms batches on SQLite (they hold the event loop), 50 on PostgreSQL.
  const targetBatchMs = store instanceof PgStore ? 50 : 5;
  const job = new RetentionJob({ store, settings: SETTINGS, log: pino({ level: 'silent' }), now: () => NOW, targetBatchMs });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGap = 0;
  const interval = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, 1);
  histogram.enable();
  const started = performance.now();
  const report = await job.run();
  const seconds = (performance.now() - started) / 1000;
  histogram.disable();
  clearInterval(interval);
  if (!report.ran) throw new Error(`${name}: the job did not run`);
  const deleted = Object.values(report.deleted).reduce((a, b) => a + b, 0);
  return {
    store: name,
    idleMaxPauseMs,
    deleted,
    seconds: Math.round(seconds * 10) / 10,
    // The histogram counts the delay beyond its 1 ms resolution timer, in nanoseconds.
    maxPauseMs: Math.round(histogram.max / 1e5) / 10,
    p99DelayMs: Math.round(histogram.percentile(99) / 1e5) / 10,
    maxIntervalGapMs: Math.round(maxGap * 10) / 10,
  };
}

const OLD = "'2024-06-01T00:00:00.000Z'";

async function sqlite(): Promise<Result> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-retention-bench-'));
  try {
    const store = SqliteStore.open(root);
    const db = new Database(path.join(root, 'ivr-deflect.db'));
    const fill = performance.now();
    db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${CALLS - 1})
      INSERT INTO calls (id, campaign_id, mode, dnis, ani, platform_call_id, state, created_at, updated_at, expires_at)
      SELECT 'c' || i, 'support', 'goto', '+18005550100', '+1617' || printf('%07d', i), '', 'handed-back',
             strftime('%Y-%m-%dT%H:%M:%fZ', ${OLD}, '+' || (i * 60) || ' seconds'), ${OLD}, ${OLD} FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${EVENTS - 1})
      INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
      SELECT 'c' || (i / 3), 'support', 'started', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', ${OLD}, '+' || ((i / 3) * 60) || ' seconds') FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${KEPT - 1})
      INSERT INTO calls (id, campaign_id, mode, dnis, ani, platform_call_id, state, created_at, updated_at, expires_at)
      SELECT 'k' || i, 'support', 'goto', '+18005550100', '+16175550000', '', 'handed-back', '2026-12-04T12:00:00.000Z', ${OLD}, ${OLD} FROM n;
    `);
    db.close();
    console.log(`sqlite: ${ROWS + KEPT} rows written in ${Math.round(performance.now() - fill)} ms`);
    const result = await measure('SQLite', store);
    const kept = (await store.getCall('k0')) !== undefined;
    await store.close();
    if (!kept) throw new Error('sqlite: a recent call was deleted');
    return result;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function postgres(): Promise<Result | undefined> {
  const client = new Client({ connectionString: PG_URL });
  try {
    await client.connect();
  } catch {
    console.log(`postgres: not reachable at TEST_DATABASE_URL, skipped`);
    return undefined;
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  try {
    const store = await PgStore.open({ url: PG_URL, schema });
    const fill = performance.now();
    await client.query(`SET search_path = ${schema}`);
    await client.query(`
      INSERT INTO calls (id, campaign_id, mode, dnis, ani, platform_call_id, state, created_at, updated_at, expires_at)
      SELECT 'c' || i, 'support', 'goto', '+18005550100', '+1617' || lpad(i::text, 7, '0'), '', 'handed-back',
             to_char(timestamp ${OLD} + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ${OLD}, ${OLD}
      FROM generate_series(0, ${CALLS - 1}) AS i`);
    await client.query(`
      INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
      SELECT 'c' || (i / 3), 'support', 'started', NULL, to_char(timestamp ${OLD} + (i / 3) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM generate_series(0, ${EVENTS - 1}) AS i`);
    await client.query(`
      INSERT INTO calls (id, campaign_id, mode, dnis, ani, platform_call_id, state, created_at, updated_at, expires_at)
      SELECT 'k' || i, 'support', 'goto', '+18005550100', '+16175550000', '', 'handed-back', '2026-12-04T12:00:00.000Z', ${OLD}, ${OLD}
      FROM generate_series(0, ${KEPT - 1}) AS i`);
    await client.query('ANALYZE');
    console.log(`postgres: ${ROWS + KEPT} rows written in ${Math.round(performance.now() - fill)} ms`);
    const result = await measure('PostgreSQL', store);
    const kept = (await store.getCall('k0')) !== undefined;
    await store.close();
    if (!kept) throw new Error('postgres: a recent call was deleted');
    return result;
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

async function main(): Promise<void> {
  const results = [await sqlite(), await postgres()].filter((r): r is Result => r !== undefined);
  console.log('\nretention job, rows past retention deleted while the event loop is watched:');
  console.table(
    results.map((r) => ({
      store: r.store,
      'rows deleted': r.deleted,
      seconds: r.seconds,
      'rows/s': Math.round(r.deleted / r.seconds),
      'longest pause (ms)': r.maxPauseMs,
      'p99 loop delay (ms)': r.p99DelayMs,
      'longest 1 ms-timer gap (ms)': r.maxIntervalGapMs,
      'idle loop, longest pause (ms)': r.idleMaxPauseMs,
    })),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
